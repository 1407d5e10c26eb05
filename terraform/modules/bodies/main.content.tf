# Our Sentinel content (content/): analytics rules, DCR metric alerts, hunting queries and the workbook,
# exactly as deployer/content/bodies.py builds them. Every file is a template filled with the same values
# as deployer/content/values.py computes, then parsed (YAML 1.2, or JSON for the workbook).

locals {
  content_directory = coalesce(var.content_directory, "${path.module}/../../../content")
  content           = var.target.content
  # Kusto's dayofweek() counts from Sunday (deployer.config.schema.WEEKDAYS).
  weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
  # Mirrors deployer.validation.VALIDATION_CATEGORY.
  validation_category = "miro-sentinel-validation"

  content_values = {
    table_name                 = local.table_name
    connector_name             = var.target.connector_name
    dcr_name                   = var.target.dcr_name
    workspace_resource_id      = local.workspace_resource_id
    validation_category        = local.validation_category
    silence_minutes            = tostring(local.content.silence_minutes)
    validation_max_age_minutes = tostring(local.content.validation_max_age_minutes)
    sign_in_failure_events     = "dynamic([${join(",", [for e in local.content.sign_in_failure_events : "'${e}'"])}])"
    sign_in_success_events     = "dynamic([${join(",", [for e in local.content.sign_in_success_events : "'${e}'"])}])"
    failures_per_user          = tostring(local.content.failures_per_user)
    failures_per_ip            = tostring(local.content.failures_per_ip)
    distinct_ips_per_user      = tostring(local.content.distinct_ips_per_user)
    dormancy_days              = tostring(local.content.dormancy_days)
    admin_categories           = "dynamic([${join(",", [for c in local.content.admin_categories : "'${c}'"])}])"
    working_days               = "dynamic([${join(",", [for d in local.content.working_days : tostring(index(local.weekdays, d))])}])"
    working_hours_start        = tostring(local.content.working_hours_start)
    working_hours_end          = tostring(local.content.working_hours_end)
    utc_offset_hours           = tostring(local.content.utc_offset_hours)
    volume_min_events          = tostring(local.content.volume_min_events)
    volume_factor              = tostring(local.content.volume_factor)
  }

  rule_documents = {
    for f in fileset(local.content_directory, "rules/*.yaml") :
    trimsuffix(basename(f), ".yaml") => yamldecode(templatefile("${local.content_directory}/${f}", local.content_values))
  }
  metric_alert_documents = {
    for f in fileset(local.content_directory, "metric-alerts/*.yaml") :
    trimsuffix(basename(f), ".yaml") => yamldecode(templatefile("${local.content_directory}/${f}", local.content_values))
  }
  hunting_documents = {
    for f in fileset(local.content_directory, "hunting/*.yaml") :
    trimsuffix(basename(f), ".yaml") => yamldecode(templatefile("${local.content_directory}/${f}", local.content_values))
  }
  unknown_disabled_rules = setsubtract(local.content.disabled_rules, concat(keys(local.rule_documents), keys(local.metric_alert_documents)))

  # Microsoft.SecurityInsights/alertRules@2025-09-01, kind Scheduled.
  alert_rules = {
    for key, doc in local.rule_documents : key => {
      name = doc.id
      body = {
        kind       = doc.kind
        properties = merge(doc.properties, { enabled = local.content.enabled && !contains(local.content.disabled_rules, key) })
      }
    }
  }
  # Microsoft.Insights/metricAlerts@2018-03-01 on the DCR.
  metric_alerts = {
    for key, doc in local.metric_alert_documents : key => {
      name = "${var.target.dcr_name}-${doc.name}"
      body = {
        location = "global"
        tags     = local.tags
        properties = merge(doc.properties, {
          enabled = local.content.enabled && !contains(local.content.disabled_rules, key)
          scopes  = [local.dcr_resource_id]
        })
      }
    }
  }
  # Microsoft.OperationalInsights/workspaces/savedSearches@2025-07-01: Sentinel's hunting queries.
  hunting_queries = {
    for key, doc in local.hunting_documents : key => { name = doc.id, body = { properties = doc.properties } }
  }
  # Microsoft.Insights/workbooks@2023-06-01; the name is a UUID, stable per workspace.
  workbook_serialized_data = templatefile("${local.content_directory}/workbook.json", local.content_values)
  workbook = {
    name = uuidv5("url", "${lower(local.workspace_resource_id)}|miro-sentinel-workbook")
    body = {
      location = var.target.location
      kind     = "shared"
      tags     = local.tags
      properties = {
        displayName    = "Miro audit logs (miro-sentinel)"
        category       = "sentinel"
        version        = "Notebook/1.0"
        sourceId       = local.workspace_resource_id
        serializedData = local.workbook_serialized_data
      }
    }
  }
}
