variable "target" {
  # Same type as modules/bodies, which validates every attribute (a test keeps the copies equal).
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
}

variable "content_directory" {
  type        = string
  default     = null
  description = "Directory with rules/, metric-alerts/, hunting/ and workbook.json; null means the repository's content/."
}

variable "dcr_directory" {
  type        = string
  default     = null
  description = "Directory with table.json, stream.json, transform.kql and connector/; null means the repository's dcr/."
}

variable "miro_token" {
  type        = string
  default     = null
  description = "Miro access token with auditlogs:read. Ephemeral: it goes only into the connector's write-only `sensitive_body` and is never stored in plan or state. Needed whenever the connector is created or updated."
  ephemeral   = true
  sensitive   = true
}
