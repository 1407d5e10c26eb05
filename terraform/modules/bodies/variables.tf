variable "connector_definition_name" {
  type        = string
  description = "Name of the Sentinel data connector definition (kind Customizable); also the connector's `connectorDefinitionName`."
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.connector_definition_name))
    error_message = "connector_definition_name must be 1-128 letters, digits, '-' or '_'."
  }
}

variable "connector_name" {
  type        = string
  description = "Name of the Sentinel RestApiPoller data connector."
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.connector_name))
    error_message = "connector_name must be 1-128 letters, digits, '-' or '_'."
  }
}

variable "data_collection_endpoint_name" {
  type        = string
  description = "Name of the data collection endpoint (DCE)."
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{1,42}[A-Za-z0-9]$", var.data_collection_endpoint_name))
    error_message = "data_collection_endpoint_name must be 3-44 letters, digits or '-', starting and ending with a letter or digit."
  }
}

variable "data_collection_rule_name" {
  type        = string
  description = "Name of the data collection rule (DCR)."
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", var.data_collection_rule_name))
    error_message = "data_collection_rule_name must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit."
  }
}

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

variable "location" {
  type        = string
  description = "Azure region of the DCE and DCR (and of the workspace and resource group when they are created), e.g. `westeurope`."
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,39}$", var.location))
    error_message = "location must be an Azure region name in lower case without spaces, e.g. westeurope."
  }
}

variable "miro_api_base_url" {
  type        = string
  description = "Base URL of the Miro REST API that the connector polls (`/v2/audit/logs` is appended; trailing slashes are dropped)."
  nullable    = false

  validation {
    condition     = can(regex("^https://[^\\s\"\\\\]+$", var.miro_api_base_url))
    error_message = "miro_api_base_url must be an https:// URL without spaces, quotes or backslashes."
  }
}

variable "miro_token_version" {
  type        = string
  description = "Version of the Miro token; the connector's write-only token is sent again whenever this changes."
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9._:-]{1,64}$", var.miro_token_version))
    error_message = "miro_token_version must be 1-64 letters, digits, '.', '_', ':' or '-' (it is not the token)."
  }
}

variable "resource_group_name" {
  type        = string
  description = "Resource group of the DCE, the DCR and the role assignment."
  nullable    = false

  validation {
    condition     = can(regex("^[-\\w.()]{0,89}[-\\w()]$", var.resource_group_name))
    error_message = "resource_group_name must be 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending with '.'."
  }
}

variable "retention_in_days" {
  type        = number
  description = "Interactive retention of the custom table, in days (4-730)."
  nullable    = false

  validation {
    condition     = var.retention_in_days >= 4 && var.retention_in_days <= 730 && floor(var.retention_in_days) == var.retention_in_days
    error_message = "retention_in_days must be a whole number of days from 4 to 730."
  }
}

variable "subscription_id" {
  type        = string
  description = "Subscription that holds every resource."
  nullable    = false

  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.subscription_id))
    error_message = "subscription_id must be a GUID."
  }
}

variable "table_plan" {
  type        = string
  description = "Plan of the custom table: `Analytics`, `Basic` or `Auxiliary`."
  nullable    = false

  validation {
    condition     = contains(["Analytics", "Basic", "Auxiliary"], var.table_plan)
    error_message = "table_plan must be one of Analytics, Basic or Auxiliary."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags for the DCE, the DCR and any created resource group or workspace; `managed-by = miro-sentinel` is always added."
  nullable    = false

  validation {
    condition     = length(var.tags) <= 49 && alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 512 && length(v) <= 256 && !can(regex("[<>%&\\\\?/]", k))])
    error_message = "tags allows at most 49 entries (Azure's 50 minus managed-by), keys of 1-512 characters without < > % & \\ ? /, and values of up to 256 characters."
  }
}

variable "total_retention_in_days" {
  type        = number
  description = "Total retention (interactive plus long-term) of the custom table, in days (4-4383, at least retention_in_days)."
  nullable    = false

  validation {
    condition     = var.total_retention_in_days >= 4 && var.total_retention_in_days <= 4383 && var.total_retention_in_days >= var.retention_in_days
    error_message = "total_retention_in_days must be from 4 to 4383 days and not less than retention_in_days."
  }
}

variable "validation_principal_id" {
  type        = string
  description = "Object id of the principal that sends validation records; it gets Monitoring Metrics Publisher on the DCR."
  nullable    = false

  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.validation_principal_id))
    error_message = "validation_principal_id must be the object id (a GUID) of a user, group or service principal."
  }
}

variable "validation_principal_type" {
  type        = string
  description = "Kind of the validation principal: `User`, `Group`, `ServicePrincipal`, `ForeignGroup` or `Device`."
  nullable    = false

  validation {
    condition     = contains(["User", "Group", "ServicePrincipal", "ForeignGroup", "Device"], var.validation_principal_type)
    error_message = "validation_principal_type must be one of User, Group, ServicePrincipal, ForeignGroup or Device."
  }
}

variable "workspace_name" {
  type        = string
  description = "Name of the Log Analytics workspace (with Microsoft Sentinel) that receives the table."
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$", var.workspace_name))
    error_message = "workspace_name must be 4-63 letters, digits or '-', starting and ending with a letter or digit."
  }
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

variable "workspace_resource_group_name" {
  type        = string
  default     = null
  description = "Resource group of the workspace; null means resource_group_name."

  validation {
    condition     = var.workspace_resource_group_name == null || can(regex("^[-\\w.()]{0,89}[-\\w()]$", coalesce(var.workspace_resource_group_name, "-")))
    error_message = "workspace_resource_group_name must be 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending with '.'."
  }
}
