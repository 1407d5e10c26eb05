variable "dce_logs_ingestion_endpoint" {
  type        = string
  description = "Logs ingestion URL of the DCE (known after the DCE exists); goes into the connector's `dcrConfig`."
  nullable    = false

  validation {
    condition     = can(regex("^https://[^\\s\"\\\\]+$", var.dce_logs_ingestion_endpoint))
    error_message = "dce_logs_ingestion_endpoint must be an https:// URL without spaces, quotes or backslashes."
  }
}

variable "dcr_immutable_id" {
  type        = string
  description = "Immutable id of the DCR (known after the DCR exists); goes into the connector's `dcrConfig`."
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{1,64}$", var.dcr_immutable_id))
    error_message = "dcr_immutable_id must be 1-64 letters, digits or '-' (Azure gives dcr-<32 hex digits>)."
  }
}

variable "target" {
  # The same type in terraform/variables.tf, modules/pipeline and here (a test compares them); its
  # attributes are deployer.provision.Target's fields, so the deployer maps its settings mechanically.
  type = object({
    location                  = string
    resource_group            = string
    subscription_id           = string
    validation_principal_id   = string
    workspace_name            = string
    connector_definition_name = optional(string, "MiroSentinelAuditLogs")
    connector_name            = optional(string, "MiroSentinelAuditLogsPoller")
    content = optional(object({
      enabled                    = optional(bool, true)
      disabled_rules             = optional(list(string), [])
      silence_minutes            = optional(number, 180)
      validation_max_age_minutes = optional(number, 150)
      sign_in_failure_events     = optional(list(string), ["sign_in_failed"])
      sign_in_success_events     = optional(list(string), ["sign_in_succeeded"])
      failures_per_user          = optional(number, 5)
      failures_per_ip            = optional(number, 10)
      distinct_ips_per_user      = optional(number, 5)
      dormancy_days              = optional(number, 7)
      admin_categories           = optional(list(string), ["administration"])
      working_days               = optional(list(string), ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"])
      working_hours_start        = optional(number, 7)
      working_hours_end          = optional(number, 19)
      utc_offset_hours           = optional(number, 0)
      volume_min_events          = optional(number, 100)
      volume_factor              = optional(number, 5)
    }), {})
    create_resource_group     = optional(bool, false)
    create_role_assignment    = optional(bool, true)
    create_workspace          = optional(bool, false)
    dce_name                  = optional(string, "dce-miro-audit-logs")
    dcr_name                  = optional(string, "dcr-miro-audit-logs")
    miro_api_base_url         = optional(string, "https://api.miro.com")
    onboard_sentinel          = optional(bool, false)
    retention_in_days         = optional(number, -1)
    table_name                = optional(string)
    table_plan                = optional(string, "Analytics")
    tags                      = optional(map(string), {})
    tenant_id                 = optional(string)
    token_version             = optional(string, "1")
    total_retention_in_days   = optional(number, -1)
    validation_principal_type = optional(string, "")
    workspace_resource_group  = optional(string)
  })
  description = <<-EOT
    Where and what to deploy. Required: `location` (the workspace's region, e.g. `westeurope`),
    `resource_group` (of the DCE, the DCR and the role assignment), `subscription_id`,
    `validation_principal_id` (object id that gets Monitoring Metrics Publisher on the DCR) and
    `workspace_name` (Log Analytics workspace with Microsoft Sentinel). Optional, with the deployer's
    defaults: resource names (`dce_name`, `dcr_name`, `connector_definition_name`, `connector_name`),
    `table_name` (null: the name in dcr/table.json), `table_plan` (`Analytics`, `Basic`, `Auxiliary`),
    `retention_in_days` (4-730, Analytics only; -1: the workspace default), `total_retention_in_days`
    (4-4383; -1: the retention, or 30 days for Basic and Auxiliary), `tags` (DCE, DCR and created
    resources; `managed-by = miro-sentinel` is always added), `token_version` (change it to send a
    rotated token), `miro_api_base_url`, `validation_principal_type` (empty: left to Azure), `workspace_resource_group` (null:
    `resource_group`), `tenant_id` (null: the provider's), `create_resource_group`, `create_role_assignment` (false when the principal already holds the role
    under another assignment), `create_workspace`
    and `onboard_sentinel`.
  EOT
  nullable    = false

  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.target.subscription_id))
    error_message = "target.subscription_id must be a GUID."
  }

  validation {
    # Azure allows Unicode letters and digits (\w in the deployer's rule).
    condition     = can(regex("^[-\\pL\\pN_.()]{0,89}[-\\pL\\pN_()]$", var.target.resource_group))
    error_message = "target.resource_group must be 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending with '.'."
  }

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,39}$", var.target.location))
    error_message = "target.location must be an Azure region name in lower case without spaces, e.g. westeurope."
  }

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$", var.target.workspace_name))
    error_message = "target.workspace_name must be 4-63 letters, digits or '-', starting and ending with a letter or digit."
  }

  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.target.validation_principal_id))
    error_message = "target.validation_principal_id must be the object id (a GUID) of a user, group or service principal."
  }

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$", var.target.connector_definition_name))
    error_message = "target.connector_definition_name must be 2-64 letters, digits, '-' or '_', starting with a letter or digit."
  }

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$", var.target.connector_name))
    error_message = "target.connector_name must be 2-64 letters, digits, '-' or '_', starting with a letter or digit."
  }

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{1,42}[A-Za-z0-9]$", var.target.dce_name))
    error_message = "target.dce_name must be 3-44 letters, digits or '-', starting and ending with a letter or digit."
  }

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_-]$", var.target.dcr_name))
    error_message = "target.dcr_name must be 2-64 letters, digits, '-', '_' or '.', starting with a letter or digit and not ending with '.'."
  }

  validation {
    condition     = can(regex("^https://[^\\s\"\\\\]+$", var.target.miro_api_base_url))
    error_message = "target.miro_api_base_url must be an https:// URL without spaces, quotes or backslashes."
  }

  validation {
    # Azure: 4-730, or -1 for the workspace default.
    condition     = var.target.retention_in_days == -1 || (var.target.retention_in_days >= 4 && var.target.retention_in_days <= 730 && floor(var.target.retention_in_days) == var.target.retention_in_days)
    error_message = "target.retention_in_days must be a whole number of days from 4 to 730, or -1 for the workspace default."
  }

  validation {
    # Azure: read-only for Basic and Auxiliary tables (always 30 days).
    condition     = var.target.table_plan == "Analytics" || var.target.retention_in_days == -1
    error_message = "target.retention_in_days cannot be set for a ${var.target.table_plan} table (its retention is fixed at 30 days); leave it at -1."
  }

  validation {
    condition     = var.target.table_name == null || can(regex("^[A-Za-z][A-Za-z0-9_]{0,59}_CL$", coalesce(var.target.table_name, "-")))
    error_message = "target.table_name must be letters, digits and underscores, starting with a letter and ending with _CL."
  }

  validation {
    condition     = contains(["Analytics", "Basic", "Auxiliary"], var.target.table_plan)
    error_message = "target.table_plan must be one of Analytics, Basic or Auxiliary."
  }

  validation {
    # Azure allows 50 tags per resource; the DCR also gets managed-by and the token version.
    condition     = length(var.target.tags) <= 48 && alltrue([for k, v in var.target.tags : length(k) >= 1 && length(k) <= 512 && length(v) <= 256 && !can(regex("[<>%&\\\\?/]", k))])
    error_message = "target.tags allows at most 48 entries (Azure's 50 minus the two miro-sentinel adds), names of 1-512 characters without < > % & \\ ? /, and values of up to 256 characters."
  }

  validation {
    condition     = var.target.tenant_id == null || can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", coalesce(var.target.tenant_id, "-")))
    error_message = "target.tenant_id must be a GUID (or null for the provider's tenant)."
  }

  validation {
    condition     = can(regex("^[A-Za-z0-9._:-]{1,64}$", var.target.token_version))
    error_message = "target.token_version must be 1-64 letters, digits, '.', '_', ':' or '-' (it is not the token)."
  }

  validation {
    # Azure: 4-4383 (12 years), or -1 for the retention (Analytics) or 30 days (Basic, Auxiliary).
    condition     = var.target.total_retention_in_days == -1 || (var.target.total_retention_in_days >= 4 && var.target.total_retention_in_days <= 4383 && floor(var.target.total_retention_in_days) == var.target.total_retention_in_days)
    error_message = "target.total_retention_in_days must be a whole number of days from 4 to 4383, or -1."
  }

  validation {
    condition     = var.target.total_retention_in_days == -1 || var.target.retention_in_days == -1 || var.target.total_retention_in_days >= var.target.retention_in_days
    error_message = "target.total_retention_in_days must not be less than target.retention_in_days."
  }

  validation {
    condition     = contains(["", "User", "Group", "ServicePrincipal", "ForeignGroup", "Device"], var.target.validation_principal_type)
    error_message = "target.validation_principal_type must be one of User, Group, ServicePrincipal, ForeignGroup or Device, or empty (Azure works it out)."
  }

  validation {
    condition     = var.target.workspace_resource_group == null || can(regex("^[-\\pL\\pN_.()]{0,89}[-\\pL\\pN_()]$", coalesce(var.target.workspace_resource_group, "-")))
    error_message = "target.workspace_resource_group must be 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending with '.'."
  }

  validation {
    # The names are Miro's event and category values: nothing a query would need to escape.
    condition     = alltrue([for name in concat(var.target.content.sign_in_failure_events, var.target.content.sign_in_success_events, var.target.content.admin_categories) : can(regex("^[A-Za-z0-9_.:-]{1,128}$", name))])
    error_message = "target.content event and category names must be 1-128 letters, digits, '_', '.', ':' or '-'."
  }

  validation {
    condition     = alltrue([for day in var.target.content.working_days : contains(["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"], day)])
    error_message = "target.content.working_days must name week days (Monday ... Sunday)."
  }

  validation {
    condition = alltrue([
      for pair in [
        [var.target.content.silence_minutes, 30, 1440], [var.target.content.validation_max_age_minutes, 30, 1440],
        [var.target.content.failures_per_user, 2, 10000], [var.target.content.failures_per_ip, 2, 10000],
        [var.target.content.distinct_ips_per_user, 2, 1000], [var.target.content.dormancy_days, 1, 13],
        [var.target.content.working_hours_start, 0, 23], [var.target.content.working_hours_end, 1, 24],
        [var.target.content.utc_offset_hours, -12, 14], [var.target.content.volume_min_events, 10, 1000000],
        [var.target.content.volume_factor, 2, 1000],
      ] : pair[0] >= pair[1] && pair[0] <= pair[2] && floor(pair[0]) == pair[0]
    ])
    error_message = "target.content numbers must be whole and in the deployer's ranges (see envs/example.toml, [content])."
  }
}

variable "content_directory" {
  type        = string
  default     = null
  description = "Directory with rules/, metric-alerts/, hunting/ and workbook.json; null means the repository's content/."
}

variable "dcr_directory" {
  type        = string
  default     = null
  description = "Directory holding table.json, stream.json, transform.kql and connector/; null means the repository's dcr/ (three levels above this module)."

  validation {
    condition     = var.dcr_directory == null || fileexists("${coalesce(var.dcr_directory, ".")}/table.json")
    error_message = "dcr_directory must be a directory that contains table.json."
  }
}
