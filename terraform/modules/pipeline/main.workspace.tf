# Optional, off by default: resource groups, the workspace and Sentinel onboarding. Most
# deployments add the pipeline to an existing Sentinel workspace.

resource "azapi_resource" "resource_group" {
  for_each = local.created_resource_groups

  type      = "Microsoft.Resources/resourceGroups@2024-03-01"
  name      = each.key
  parent_id = "/subscriptions/${var.target.subscription_id}"
  body      = module.bodies.resource_group_body
}

resource "azapi_resource" "workspace" {
  count = var.target.create_workspace ? 1 : 0

  type                   = "Microsoft.OperationalInsights/workspaces@2025-07-01"
  name                   = var.target.workspace_name
  parent_id              = module.bodies.workspace_resource_group_id
  body                   = module.bodies.workspace_body
  response_export_values = ["properties.customerId"]
  # As for the table: 2025-07-01 may be newer than the provider's embedded schema.
  schema_validation_enabled = false

  depends_on = [azapi_resource.resource_group]
}

data "azapi_resource" "workspace" {
  count = var.target.create_workspace ? 0 : 1

  type                   = "Microsoft.OperationalInsights/workspaces@2025-07-01"
  resource_id            = module.bodies.workspace_resource_id
  response_export_values = ["properties.customerId"]
}

resource "azapi_resource" "sentinel_onboarding" {
  count = var.target.onboard_sentinel ? 1 : 0

  type      = "Microsoft.SecurityInsights/onboardingStates@2025-09-01"
  name      = "default"
  parent_id = local.workspace_id
  body      = module.bodies.sentinel_onboarding_body
  # As for the connector resources: the api-version may be newer than the embedded schema.
  schema_validation_enabled = false
}
