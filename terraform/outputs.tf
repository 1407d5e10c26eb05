# Names match deployer.provision.DeploymentOutputs, which the deployer fills from `terraform output -json`.

output "connector_definition_resource_id" {
  description = "Resource id of the Sentinel data connector definition."
  value       = module.pipeline.connector_definition_resource_id
}

output "connector_resource_id" {
  description = "Resource id of the RestApiPoller data connector."
  value       = module.pipeline.connector_resource_id
}

output "dce_resource_id" {
  description = "Resource id of the data collection endpoint."
  value       = module.pipeline.dce_resource_id
}

output "dcr_immutable_id" {
  description = "Immutable id of the data collection rule."
  value       = module.pipeline.dcr_immutable_id
}

output "dcr_resource_id" {
  description = "Resource id of the data collection rule."
  value       = module.pipeline.dcr_resource_id
}

output "immutable_id" {
  description = "Immutable id of the data collection rule (AVM name)."
  value       = module.pipeline.immutable_id
}

output "logs_ingestion_endpoint" {
  description = "Logs ingestion URL of the data collection endpoint."
  value       = module.pipeline.logs_ingestion_endpoint
}

output "resource_id" {
  description = "Resource id of the data collection rule, the primary resource (AVM name)."
  value       = module.pipeline.resource_id
}

output "role_assignment_resource_id" {
  description = "Resource id of the Monitoring Metrics Publisher role assignment on the DCR (null when one existed already)."
  value       = module.pipeline.role_assignment_resource_id
}

output "stream_name" {
  description = "DCR input stream."
  value       = module.pipeline.stream_name
}

output "table_name" {
  description = "Name of the custom table."
  value       = module.pipeline.table_name
}

output "table_resource_id" {
  description = "Resource id of the custom table."
  value       = module.pipeline.table_resource_id
}

output "workspace_customer_id" {
  description = "Workspace id (GUID) for the Log Analytics query API."
  value       = module.pipeline.workspace_customer_id
}

output "workspace_resource_id" {
  description = "Resource id of the Log Analytics workspace."
  value       = module.pipeline.workspace_resource_id
}
