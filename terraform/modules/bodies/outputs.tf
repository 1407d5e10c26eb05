output "connector_body" {
  description = "Body of the RestApiPoller connector, without the token."
  value       = local.connector_body
}

output "connector_definition_body" {
  description = "Body of the Customizable data connector definition."
  value       = local.connector_definition_body
}

output "connector_secret_path" {
  description = "Path of the write-only token in the connector body (the key of `sensitive_body_version`)."
  value       = local.connector_secret_path
}

output "dce_body" {
  description = "Body of the data collection endpoint."
  value       = local.dce_body
}

output "dce_resource_id" {
  description = "Resource id the DCE will have."
  value       = local.dce_resource_id
}

output "dcr_body" {
  description = "Body of the data collection rule."
  value       = local.dcr_body

  precondition {
    condition     = length(local.unknown_column_types) == 0
    error_message = "dcr/table.json or dcr/stream.json uses unknown column types: ${join(", ", local.unknown_column_types)}."
  }
}

output "dcr_resource_id" {
  description = "Resource id the DCR will have (the scope of the role assignment)."
  value       = local.dcr_resource_id
}

output "resource_group_body" {
  description = "Body of the resource group, for when the pipeline creates it."
  value       = local.resource_group_body
}

output "resource_group_id" {
  description = "Resource id of the resource group of the DCE and DCR."
  value       = local.resource_group_id
}

output "role_assignment_body" {
  description = "Body of the Monitoring Metrics Publisher role assignment on the DCR."
  value       = local.role_assignment_body
}

output "role_assignment_name" {
  description = "Stable GUID name of the role assignment: uuidv5(url, lower(scope)|lower(principal)|lower(role id))."
  value       = local.role_assignment_name
}

output "sentinel_onboarding_body" {
  description = "Body of the Sentinel onboarding state, for when the pipeline onboards the workspace."
  value       = local.sentinel_onboarding_body
}

output "stream_name" {
  description = "Name of the DCR input stream the connector and the validation record send to."
  value       = local.stream_name
}

output "table_body" {
  description = "Body of the Log Analytics custom table."
  value       = local.table_body

  precondition {
    condition     = length(local.unknown_column_types) == 0
    error_message = "dcr/table.json or dcr/stream.json uses unknown column types: ${join(", ", local.unknown_column_types)}."
  }
}

output "table_name" {
  description = "Name of the custom table."
  value       = local.table_name
}

output "table_resource_id" {
  description = "Resource id the table will have."
  value       = local.table_resource_id
}

output "tags" {
  description = "The tags every tagged resource gets (the input tags plus managed-by)."
  value       = local.tags
}

output "workspace_body" {
  description = "Body of the Log Analytics workspace, for when the pipeline creates it."
  value       = local.workspace_body
}

output "workspace_resource_group_id" {
  description = "Resource id of the workspace's resource group."
  value       = local.workspace_resource_group_id
}

output "workspace_resource_group_name" {
  description = "Resource group of the workspace (target.workspace_resource_group, else target.resource_group)."
  value       = local.workspace_resource_group_name
}

output "workspace_resource_id" {
  description = "Resource id of the Log Analytics workspace."
  value       = local.workspace_resource_id
}

output "content_alert_rules" {
  description = "Scheduled analytics rules from content/rules, by file name: their ARM name and body."
  value       = local.alert_rules

  precondition {
    condition     = length(local.unknown_disabled_rules) == 0
    error_message = "target.content.disabled_rules names no rule: ${join(", ", local.unknown_disabled_rules)}."
  }
}

output "content_hunting_queries" {
  description = "Hunting queries (saved searches) from content/hunting, by file name: their ARM name and body."
  value       = local.hunting_queries
}

output "content_metric_alerts" {
  description = "Metric alerts on the DCR from content/metric-alerts, by file name: their ARM name and body."
  value       = local.metric_alerts
}

output "content_workbook" {
  description = "The workbook from content/workbook.json: its ARM name (a UUID) and body."
  value       = local.workbook

  precondition {
    condition     = can(jsondecode(local.workbook_serialized_data))
    error_message = "content/workbook.json is not valid JSON once its placeholders are filled."
  }
}
