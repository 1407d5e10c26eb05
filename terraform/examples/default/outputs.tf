output "logs_ingestion_endpoint" {
  description = "Where validation records are sent."
  value       = module.miro_sentinel.logs_ingestion_endpoint
}

output "resource_id" {
  description = "Resource id of the data collection rule."
  value       = module.miro_sentinel.resource_id
}

output "immutable_id" {
  description = "Immutable id of the data collection rule."
  value       = module.miro_sentinel.immutable_id
}

output "stream_name" {
  description = "DCR input stream."
  value       = module.miro_sentinel.stream_name
}
