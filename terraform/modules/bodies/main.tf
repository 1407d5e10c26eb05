# The ARM request bodies, exactly as deployer/dcr/bodies.py builds them for the `arm` engine.
# No resources: the pipeline module sends these with azapi, and tests compare them byte for byte.

locals {
  # Microsoft.OperationalInsights/workspaces/tables@2025-07-01
  # -1 means Azure's default, so the property is left out. retentionInDays is read-only (30 days) for
  # Basic and Auxiliary tables, so it is sent for Analytics only.
  table_retention = merge(
    var.target.table_plan == "Analytics" && var.target.retention_in_days != -1 ? { retentionInDays = var.target.retention_in_days } : {},
    var.target.total_retention_in_days != -1 ? { totalRetentionInDays = var.target.total_retention_in_days } : {},
  )
  table_body = {
    properties = merge({
      schema = {
        name        = local.table_name
        description = lookup(local.table_file, "description", "")
        columns     = local.table_columns
      }
      plan = var.target.table_plan
    }, local.table_retention)
  }

  # Microsoft.Insights/dataCollectionEndpoints@2023-03-11
  dce_body = {
    location = var.target.location
    tags     = local.tags
    properties = {
      description = "Logs ingestion endpoint for Miro audit events (miro-sentinel)."
      networkAcls = { publicNetworkAccess = "Enabled" }
    }
  }

  # Microsoft.Insights/dataCollectionRules@2023-03-11, DCE-based as the CCF connector requires.
  dcr_body = {
    location = var.target.location
    tags     = local.dcr_tags
    properties = {
      description              = "Miro audit events into the custom table (miro-sentinel)."
      dataCollectionEndpointId = local.dce_resource_id
      streamDeclarations       = { (local.stream_name) = { columns = local.stream_columns } }
      destinations = {
        logAnalytics = [{ workspaceResourceId = local.workspace_resource_id, name = local.dcr_destination_name }]
      }
      dataFlows = [{
        streams      = [local.stream_name]
        destinations = [local.dcr_destination_name]
        transformKql = local.transform_kql
        outputStream = local.output_stream
      }]
    }
  }

  # Microsoft.SecurityInsights/dataConnectorDefinitions@2025-09-01, kind Customizable.
  connector_definition_body = jsondecode(templatefile("${local.dcr_directory}/connector/definition.json", {
    connector_definition_name = var.target.connector_definition_name
    table_name                = local.table_name
  }))

  # Microsoft.SecurityInsights/dataConnectors@2025-09-01, kind RestApiPoller, without the token:
  # the token is merged in by the pipeline module through azapi's write-only `sensitive_body`.
  connector_body = jsondecode(templatefile("${local.dcr_directory}/connector/poller.json", {
    connector_definition_name   = var.target.connector_definition_name
    dce_logs_ingestion_endpoint = var.dce_logs_ingestion_endpoint
    dcr_immutable_id            = var.dcr_immutable_id
    stream_name                 = local.stream_name
    miro_api_base_url           = local.miro_api_base_url
  }))

  # Microsoft.Authorization/roleAssignments@2022-04-01: Monitoring Metrics Publisher on the DCR.
  # An empty principal type is left out: Azure works it out (a wrong one is 400 UnmatchedPrincipalType).
  role_assignment_body = {
    properties = merge(
      { roleDefinitionId = local.role_definition_id, principalId = var.target.validation_principal_id },
      var.target.validation_principal_type == "" ? {} : { principalType = var.target.validation_principal_type },
    )
  }

  # Optional resources (off by default); the `arm` engine does not create these.
  resource_group_body = {
    location = var.target.location
    tags     = local.tags
  }
  workspace_body = {
    location = var.target.location
    tags     = local.tags
    properties = {
      sku = { name = "PerGB2018" }
      # 90 days is what Microsoft Sentinel includes at no retention charge.
      retentionInDays = 90
    }
  }
  sentinel_onboarding_body = { properties = {} }
}
