variable "location" {
  type        = string
  description = "Azure region of the DCE and DCR (and of the resource group and workspace when they are created), e.g. `westeurope`. Must be the workspace's region."
  nullable    = false
}

variable "resource_group_name" {
  type        = string
  description = "Resource group of the data collection endpoint, the data collection rule and the role assignment."
  nullable    = false
}

variable "subscription_id" {
  type        = string
  description = "Subscription (GUID) that holds every resource."
  nullable    = false
}

variable "validation_principal_id" {
  type        = string
  description = "Object id of the principal that sends validation records through the Logs Ingestion API; it gets Monitoring Metrics Publisher on the DCR."
  nullable    = false
}

variable "workspace_name" {
  type        = string
  description = "Log Analytics workspace (with Microsoft Sentinel) that receives the custom table and the connector."
  nullable    = false
}

variable "connector_definition_name" {
  type        = string
  default     = "MiroAuditLogsDefinition"
  description = "Name of the Sentinel data connector definition (kind Customizable)."
  nullable    = false
}

variable "connector_name" {
  type        = string
  default     = "MiroAuditLogsPoller"
  description = "Name of the Sentinel RestApiPoller data connector that polls Miro."
  nullable    = false
}

variable "data_collection_endpoint_name" {
  type        = string
  default     = "dce-miro-audit-logs"
  description = "Name of the data collection endpoint."
  nullable    = false
}

variable "data_collection_rule_name" {
  type        = string
  default     = "dcr-miro-audit-logs"
  description = "Name of the data collection rule."
  nullable    = false
}

variable "dcr_directory" {
  type        = string
  default     = null
  description = "Directory with table.json, stream.json, transform.kql and connector/; null means the repository's dcr/."
}

variable "miro_api_base_url" {
  type        = string
  default     = "https://api.miro.com"
  description = "Base URL of the Miro REST API that the connector polls; `/v2/audit/logs` is appended."
  nullable    = false
}

variable "miro_token" {
  type        = string
  default     = null
  description = "Miro access token with auditlogs:read. Ephemeral: it goes only into the connector's write-only `sensitive_body` and is never stored in plan or state. Needed whenever the connector is created or updated."
  ephemeral   = true
  sensitive   = true
}

variable "miro_token_version" {
  type        = string
  default     = "1"
  description = "Version of miro_token. Change it (e.g. to the rotation date) to send a rotated token; an unchanged version does not resend the token."
  nullable    = false
}

variable "resource_group_creation_enabled" {
  type        = bool
  default     = false
  description = "Create resource_group_name (and workspace_resource_group_name when it differs) instead of using existing ones."
  nullable    = false
}

variable "retention_in_days" {
  type        = number
  default     = 90
  description = "Interactive retention of the custom table, in days (4-730)."
  nullable    = false
}

variable "sentinel_onboarding_enabled" {
  type        = bool
  default     = false
  description = "Onboard the workspace to Microsoft Sentinel (needed once per workspace before connectors can be created)."
  nullable    = false
}

variable "table_plan" {
  type        = string
  default     = "Analytics"
  description = "Plan of the custom table: `Analytics`, `Basic` or `Auxiliary`."
  nullable    = false
}

variable "tags" {
  type        = map(string)
  default     = {}
  description = "Tags for the DCE, the DCR and any created resource group or workspace; `managed-by = miro-sentinel` is always added."
  nullable    = false
}

variable "total_retention_in_days" {
  type        = number
  default     = 90
  description = "Total retention (interactive plus long-term) of the custom table, in days (4-4383, at least retention_in_days)."
  nullable    = false
}

variable "validation_principal_type" {
  type        = string
  default     = "ServicePrincipal"
  description = "Kind of the validation principal: `User`, `Group`, `ServicePrincipal`, `ForeignGroup` or `Device`."
  nullable    = false
}

variable "workspace_creation_enabled" {
  type        = bool
  default     = false
  description = "Create the Log Analytics workspace instead of using an existing one."
  nullable    = false
}

variable "workspace_resource_group_name" {
  type        = string
  default     = null
  description = "Resource group of the workspace; null means resource_group_name."
}
