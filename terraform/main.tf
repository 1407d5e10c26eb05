module "pipeline" {
  source = "./modules/pipeline"

  connector_definition_name       = var.connector_definition_name
  connector_name                  = var.connector_name
  data_collection_endpoint_name   = var.data_collection_endpoint_name
  data_collection_rule_name       = var.data_collection_rule_name
  dcr_directory                   = var.dcr_directory
  location                        = var.location
  miro_api_base_url               = var.miro_api_base_url
  miro_token                      = var.miro_token
  miro_token_version              = var.miro_token_version
  resource_group_creation_enabled = var.resource_group_creation_enabled
  resource_group_name             = var.resource_group_name
  retention_in_days               = var.retention_in_days
  sentinel_onboarding_enabled     = var.sentinel_onboarding_enabled
  subscription_id                 = var.subscription_id
  table_plan                      = var.table_plan
  tags                            = var.tags
  total_retention_in_days         = var.total_retention_in_days
  validation_principal_id         = var.validation_principal_id
  validation_principal_type       = var.validation_principal_type
  workspace_creation_enabled      = var.workspace_creation_enabled
  workspace_name                  = var.workspace_name
  workspace_resource_group_name   = var.workspace_resource_group_name
}
