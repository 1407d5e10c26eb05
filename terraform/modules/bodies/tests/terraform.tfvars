# Inputs every run starts from (terraform test loads tests/terraform.tfvars); runs override what they test.
dce_logs_ingestion_endpoint = "https://dce-miro-abcd.westeurope-1.ingest.monitor.azure.com"
dcr_immutable_id            = "dcr-0123456789abcdef0123456789abcdef"
target = {
  connector_definition_name = "MiroAuditLogs"
  connector_name            = "MiroAuditLogsPoller"
  dce_name                  = "dce-miro"
  dcr_name                  = "dcr-miro"
  location                  = "westeurope"
  miro_api_base_url         = "https://api.miro.com"
  resource_group            = "rg-miro"
  retention_in_days         = 90
  subscription_id           = "00000000-0000-0000-0000-000000000000"
  table_plan                = "Analytics"
  tags                      = { env = "test" }
  token_version             = "1"
  total_retention_in_days   = 365
  validation_principal_id   = "11111111-1111-1111-1111-111111111111"
  validation_principal_type = "ServicePrincipal"
  workspace_name            = "law-miro"
}
