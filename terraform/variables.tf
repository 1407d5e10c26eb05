# Inputs of the deployment. The deployer writes `target` to a generated *.auto.tfvars.json (never
# -var), from deployer.provision.Target field by field (deployer/terraform/engine.py); only miro_token
# comes from the environment (TF_VAR_miro_token). Validation lives in modules/bodies, where
# `terraform test` exercises every rule offline.

variable "target" {
  # Same type as modules/pipeline and modules/bodies (a test keeps the copies equal).
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
  description = "Where and what to deploy: deployer.provision.Target's fields (see modules/bodies/variables.tf)."
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
  description = "Directory with table.json, stream.json, transform.kql and connector/; null means the dcr/ beside terraform/."
}

variable "miro_token" {
  type        = string
  default     = null
  description = "Miro access token (auditlogs:read). Set it only as TF_VAR_miro_token. Ephemeral and write-only: never stored in plan or state."
  ephemeral   = true
  sensitive   = true
}
