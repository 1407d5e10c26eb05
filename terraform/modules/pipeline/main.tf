# Miro audit logs into Microsoft Sentinel: custom table, DCE, DCR (primary, `this`), role assignment
# for the validation principal, CCF connector definition and RestApiPoller connector.
# Every body comes from the provider-free `bodies` module, the same bodies the `arm` engine sends.

module "bodies" {
  source = "../bodies"

  content_directory           = var.content_directory
  dce_logs_ingestion_endpoint = azapi_resource.data_collection_endpoint.output.properties.logsIngestion.endpoint
  dcr_directory               = var.dcr_directory
  dcr_immutable_id            = azapi_resource.this.output.properties.immutableId
  target                      = var.target
}

resource "azapi_resource" "table" {
  type      = "Microsoft.OperationalInsights/workspaces/tables@2025-07-01"
  name      = module.bodies.table_name
  parent_id = local.workspace_id
  body      = module.bodies.table_body
  # Azure answers column types in its own casing (`dateTime`, where dcr/ and the bodies say
  # `datetime`); azapi would store the answer and plan an update on every run without this.
  ignore_casing = true
  # 2025-07-01 is newer than the schema embedded in early azapi 2.x releases; ARM validates the body.
  schema_validation_enabled = false
}

resource "azapi_resource" "data_collection_endpoint" {
  type                   = "Microsoft.Insights/dataCollectionEndpoints@2023-03-11"
  name                   = var.target.dce_name
  parent_id              = module.bodies.resource_group_id
  body                   = module.bodies.dce_body
  response_export_values = ["properties.logsIngestion.endpoint", "properties.immutableId"]

  depends_on = [azapi_resource.resource_group]
}

resource "azapi_resource" "this" {
  type                   = "Microsoft.Insights/dataCollectionRules@2023-03-11"
  name                   = var.target.dcr_name
  parent_id              = module.bodies.resource_group_id
  body                   = module.bodies.dcr_body
  response_export_values = ["properties.immutableId"]

  # The body names the DCE and the table's output stream by id, not by reference: Azure refuses a
  # DCR whose output table or endpoint does not exist yet.
  depends_on = [azapi_resource.data_collection_endpoint, azapi_resource.table]
}

resource "azapi_resource" "role_assignment" {
  # None when the principal already holds the role on the DCR under another assignment (granted by
  # hand): Azure refuses a second one with 409 RoleAssignmentExists, so that one is taken as is.
  count = var.target.create_role_assignment ? 1 : 0

  type      = "Microsoft.Authorization/roleAssignments@2022-04-01"
  name      = module.bodies.role_assignment_name
  parent_id = azapi_resource.this.id
  body      = module.bodies.role_assignment_body
}

moved {
  from = azapi_resource.role_assignment
  to   = azapi_resource.role_assignment[0]
}

resource "azapi_resource" "connector_definition" {
  type      = "Microsoft.SecurityInsights/dataConnectorDefinitions@2025-09-01"
  name      = var.target.connector_definition_name
  parent_id = local.workspace_id
  body      = module.bodies.connector_definition_body
  # As for the table: the api-version may be newer than the provider's embedded schema.
  schema_validation_enabled = false

  depends_on = [azapi_resource.sentinel_onboarding]
}

resource "azapi_resource" "connector" {
  type      = "Microsoft.SecurityInsights/dataConnectors@2025-09-01"
  name      = var.target.connector_name
  parent_id = local.workspace_id
  body      = module.bodies.connector_body
  # The token travels only here. azapi sends it again when the version changes, and omits it
  # otherwise. Sentinel requires the key on every PUT of a RestApiPoller (apiKey is required), so the
  # version also changes with the rest of the body: any update re-sends the token; a rotated token
  # alone needs target.token_version bumped.
  sensitive_body = local.connector_secret
  sensitive_body_version = {
    (module.bodies.connector_secret_path) = "${var.target.token_version}-${substr(sha256(jsonencode(module.bodies.connector_body)), 0, 16)}"
  }
  # The official Miro solution spells some keys as the service documents them (ApiKeyName,
  # StartTimeAttributeName, IsAPIKeyInPostPayload), which the embedded schema spells otherwise.
  schema_validation_enabled = false

  depends_on = [azapi_resource.connector_definition]
}
