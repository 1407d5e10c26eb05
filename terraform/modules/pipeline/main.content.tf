# Our Sentinel content: analytics rules, hunting queries (saved searches) and the workbook in the workspace,
# metric alerts on the DCR. Bodies from the provider-free `bodies` module, the same the `arm` engine sends.

resource "azapi_resource" "alert_rule" {
  for_each = module.bodies.content_alert_rules

  type      = "Microsoft.SecurityInsights/alertRules@2025-09-01"
  name      = each.value.name
  parent_id = local.workspace_id
  body      = each.value.body
  # The embedded schema may predate 2025-09-01; Sentinel validates the body (and compiles the query).
  schema_validation_enabled = false

  # The query reads the table; Sentinel refuses a rule whose table does not exist yet.
  depends_on = [azapi_resource.table, azapi_resource.sentinel_onboarding]
}

resource "azapi_resource" "hunting_query" {
  for_each = module.bodies.content_hunting_queries

  type      = "Microsoft.OperationalInsights/workspaces/savedSearches@2025-07-01"
  name      = each.value.name
  parent_id = local.workspace_id
  body      = each.value.body

  depends_on = [azapi_resource.table]
}

resource "azapi_resource" "workbook" {
  type      = "Microsoft.Insights/workbooks@2023-06-01"
  name      = module.bodies.content_workbook.name
  parent_id = module.bodies.resource_group_id
  body      = module.bodies.content_workbook.body

  depends_on = [azapi_resource.resource_group]
}

resource "azapi_resource" "metric_alert" {
  for_each = module.bodies.content_metric_alerts

  type      = "Microsoft.Insights/metricAlerts@2018-03-01"
  name      = each.value.name
  parent_id = module.bodies.resource_group_id
  body      = each.value.body

  depends_on = [azapi_resource.this]
}
