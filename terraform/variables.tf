# Inputs of the deployment. The deployer writes them to a generated *.auto.tfvars.json (never
# -var); only miro_token comes from the environment (TF_VAR_miro_token). Validation lives in
# modules/bodies, where `terraform test` exercises every rule offline; optional inputs default to
# null, which means the module's default.

variable "location" {
  type        = string
  description = "Azure region of the DCE and DCR (the workspace's region), e.g. `westeurope`."
  nullable    = false
}

variable "resource_group_name" {
  type        = string
  description = "Resource group of the DCE, the DCR and the role assignment."
  nullable    = false
}

variable "subscription_id" {
  type        = string
  description = "Subscription (GUID) that holds every resource; also the azapi provider's subscription."
  nullable    = false
}

variable "validation_principal_id" {
  type        = string
  description = "Object id of the principal that sends validation records; it gets Monitoring Metrics Publisher on the DCR."
  nullable    = false
}

variable "workspace_name" {
  type        = string
  description = "Log Analytics workspace (with Microsoft Sentinel) that receives the table and the connector."
  nullable    = false
}

variable "connector_definition_name" {
  type        = string
  default     = null
  description = "Name of the Sentinel data connector definition; null means the module default."
}

variable "connector_name" {
  type        = string
  default     = null
  description = "Name of the RestApiPoller data connector; null means the module default."
}

variable "data_collection_endpoint_name" {
  type        = string
  default     = null
  description = "Name of the data collection endpoint; null means the module default."
}

variable "data_collection_rule_name" {
  type        = string
  default     = null
  description = "Name of the data collection rule; null means the module default."
}

variable "dcr_directory" {
  type        = string
  default     = null
  description = "Directory with table.json, stream.json, transform.kql and connector/; null means the dcr/ beside terraform/."
}

variable "miro_api_base_url" {
  type        = string
  default     = null
  description = "Base URL of the Miro REST API; null means https://api.miro.com."
}

variable "miro_token" {
  type        = string
  default     = null
  description = "Miro access token (auditlogs:read). Set it only as TF_VAR_miro_token. Ephemeral and write-only: never stored in plan or state."
  ephemeral   = true
  sensitive   = true
}

variable "miro_token_version" {
  type        = string
  default     = null
  description = "Version of miro_token; change it to send a rotated token. Null means \"1\"."
}

variable "resource_group_creation_enabled" {
  type        = bool
  default     = false
  description = "Create the resource group(s) instead of using existing ones."
  nullable    = false
}

variable "retention_in_days" {
  type        = number
  default     = null
  description = "Interactive retention of the custom table in days (4-730); null means 90."
}

variable "sentinel_onboarding_enabled" {
  type        = bool
  default     = false
  description = "Onboard the workspace to Microsoft Sentinel."
  nullable    = false
}

variable "table_plan" {
  type        = string
  default     = null
  description = "Plan of the custom table (`Analytics`, `Basic`, `Auxiliary`); null means Analytics."
}

variable "tags" {
  type        = map(string)
  default     = {}
  description = "Tags for the DCE, the DCR and any created resource group or workspace."
  nullable    = false
}

variable "tenant_id" {
  type        = string
  default     = null
  description = "Entra tenant of the subscription for the azapi provider; null means ARM_TENANT_ID or the Azure CLI's."
}

variable "total_retention_in_days" {
  type        = number
  default     = null
  description = "Total retention of the custom table in days (4-4383, at least retention_in_days); null means 90."
}

variable "validation_principal_type" {
  type        = string
  default     = null
  description = "Kind of the validation principal (`User`, `Group`, `ServicePrincipal`, ...); null means ServicePrincipal."
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
