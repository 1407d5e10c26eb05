locals {
  # The workspace's id as Azure reports it when we create it, else the id built from its names.
  workspace_id          = var.target.create_workspace ? azapi_resource.workspace[0].id : module.bodies.workspace_resource_id
  workspace_customer_id = var.target.create_workspace ? azapi_resource.workspace[0].output.properties.customerId : data.azapi_resource.workspace[0].output.properties.customerId

  created_resource_groups = var.target.create_resource_group ? toset([var.target.resource_group, module.bodies.workspace_resource_group_name]) : toset([])

  # Write-only: merged into the connector body by azapi, never stored in plan or state.
  # Same shape as deployer.dcr.bodies.connector_secret().
  connector_secret = var.miro_token == null ? null : { properties = { auth = { APIKey = "Bearer ${var.miro_token}" } } }
}
