variable "location" {
  type        = string
  description = "Region of the existing Sentinel workspace, e.g. `westeurope`."
  nullable    = false
}

variable "resource_group_name" {
  type        = string
  description = "Existing resource group of the workspace; the DCE and DCR go there too."
  nullable    = false
}

variable "subscription_id" {
  type        = string
  description = "Subscription of the workspace."
  nullable    = false
}

variable "validation_principal_id" {
  type        = string
  description = "Object id of the principal that will send a validation record."
  nullable    = false
}

variable "workspace_name" {
  type        = string
  description = "Existing Log Analytics workspace with Microsoft Sentinel."
  nullable    = false
}

variable "miro_token" {
  type        = string
  default     = null
  description = "Miro access token with auditlogs:read; pass it as TF_VAR_miro_token."
  ephemeral   = true
  sensitive   = true
}

variable "miro_token_version" {
  type        = string
  default     = "1"
  description = "Bump to send a rotated token."
  nullable    = false
}
