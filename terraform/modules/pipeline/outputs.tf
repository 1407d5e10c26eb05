output "connector_definition_resource_id" {
  description = "Resource id of the Sentinel data connector definition."
  value       = azapi_resource.connector_definition.id
}

output "connector_resource_id" {
  description = "Resource id of the RestApiPoller data connector."
  value       = azapi_resource.connector.id
}

output "dce_resource_id" {
  description = "Resource id of the data collection endpoint."
  value       = azapi_resource.data_collection_endpoint.id
}

output "dcr_immutable_id" {
  description = "Immutable id of the data collection rule (what the Logs Ingestion API addresses)."
  value       = azapi_resource.this.output.properties.immutableId
}

output "dcr_resource_id" {
  description = "Resource id of the data collection rule."
  value       = azapi_resource.this.id
}

output "immutable_id" {
  description = "Immutable id of the data collection rule (AVM name for dcr_immutable_id)."
  value       = azapi_resource.this.output.properties.immutableId
}

output "logs_ingestion_endpoint" {
  description = "Logs ingestion URL of the data collection endpoint."
  value       = azapi_resource.data_collection_endpoint.output.properties.logsIngestion.endpoint
}

output "name" {
  description = "Name of the data collection rule, the primary resource."
  value       = azapi_resource.this.name
}

output "resource_id" {
  description = "Resource id of the data collection rule, the primary resource."
  value       = azapi_resource.this.id
}

output "role_assignment_resource_id" {
  description = "Resource id of the Monitoring Metrics Publisher role assignment on the DCR (null when one existed already)."
  value       = one(azapi_resource.role_assignment[*].id)
}

output "stream_name" {
  description = "DCR input stream that the connector and the validation record send to."
  value       = module.bodies.stream_name
}

output "table_name" {
  description = "Name of the custom table."
  value       = module.bodies.table_name
}

output "table_resource_id" {
  description = "Resource id of the custom table."
  value       = azapi_resource.table.id
}

output "workspace_customer_id" {
  description = "Workspace id (GUID) that the Log Analytics query API addresses."
  value       = local.workspace_customer_id
}

output "workspace_resource_id" {
  description = "Resource id of the Log Analytics workspace."
  value       = local.workspace_id
}
