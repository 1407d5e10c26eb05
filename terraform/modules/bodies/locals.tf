locals {
  dcr_directory = coalesce(var.dcr_directory, "${path.module}/../../../dcr")

  # dcr/ is the source of truth; deployer/dcr/spec.py reads the same files. Column types are
  # Azure's (spec.py TABLE_COLUMN_TYPES, STREAM_COLUMN_TYPES) in any case, lower-cased as spec.py does.
  table_file  = jsondecode(file("${local.dcr_directory}/table.json"))
  stream_file = jsondecode(file("${local.dcr_directory}/stream.json"))
  # spec.py drops trailing whitespace only (str.rstrip), so leading whitespace must survive here too.
  transform_kql = replace(file("${local.dcr_directory}/transform.kql"), "/[\\s\\v]+$/", "")

  table_column_types  = ["string", "int", "long", "real", "boolean", "datetime", "guid", "dynamic"]
  stream_column_types = ["string", "int", "long", "real", "boolean", "datetime", "dynamic"]

  table_columns = [for c in local.table_file.columns : {
    name        = c.name
    type        = lower(c.type)
    description = lookup(c, "description", "")
  }]
  stream_columns = [for c in local.stream_file.columns : {
    name = c.name
    type = lower(c.type)
  }]
  unknown_column_types = distinct(concat(
    [for c in local.table_columns : c.type if !contains(local.table_column_types, c.type)],
    [for c in local.stream_columns : c.type if !contains(local.stream_column_types, c.type)],
  ))

  # The settings may rename the table (table.name); the stream keeps its name from stream.json.
  table_name    = coalesce(var.target.table_name, local.table_file.name)
  stream_name   = local.stream_file.name
  output_stream = "Custom-${local.table_name}"

  workspace_resource_group_name = coalesce(var.target.workspace_resource_group, var.target.resource_group)
  resource_group_id             = "/subscriptions/${var.target.subscription_id}/resourceGroups/${var.target.resource_group}"
  workspace_resource_group_id   = "/subscriptions/${var.target.subscription_id}/resourceGroups/${local.workspace_resource_group_name}"
  workspace_resource_id         = "${local.workspace_resource_group_id}/providers/Microsoft.OperationalInsights/workspaces/${var.target.workspace_name}"
  table_resource_id             = "${local.workspace_resource_id}/tables/${local.table_name}"
  dce_resource_id               = "${local.resource_group_id}/providers/Microsoft.Insights/dataCollectionEndpoints/${var.target.dce_name}"
  dcr_resource_id               = "${local.resource_group_id}/providers/Microsoft.Insights/dataCollectionRules/${var.target.dcr_name}"

  # Mirrors deployer.dcr.bodies: MANAGED_BY_TAG, DCR_DESTINATION_NAME, MONITORING_METRICS_PUBLISHER_ROLE_ID.
  managed_by_tag = { "managed-by" = "miro-sentinel" }
  tags           = merge(var.target.tags, local.managed_by_tag)
  # The token cannot be read back from Sentinel; its version, on the DCR, can (deployer.dcr.bodies.TOKEN_VERSION_TAG).
  dcr_tags                             = merge(local.tags, { "miro-sentinel-token-version" = var.target.token_version })
  dcr_destination_name                 = "sentinelWorkspace"
  monitoring_metrics_publisher_role_id = "3913510d-42f4-4e42-8a64-420c390055eb"
  miro_api_base_url                    = replace(var.target.miro_api_base_url, "/\\/+$/", "")
  role_definition_id                   = "/subscriptions/${var.target.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/${local.monitoring_metrics_publisher_role_id}"
  role_assignment_name                 = uuidv5("url", "${lower(local.dcr_resource_id)}|${lower(var.target.validation_principal_id)}|${lower(local.monitoring_metrics_publisher_role_id)}")
  connector_secret_path                = "properties.auth.APIKey"
}
