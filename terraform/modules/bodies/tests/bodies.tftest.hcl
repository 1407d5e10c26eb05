# Behaviour of the bodies module, offline (no provider). The byte-for-byte comparison with the
# Python `arm` engine is tests/terraform/test_body_equality.py; these runs pin the rules.

run "table_body_has_every_column_of_dcr_table_json" {
  command = plan

  assert {
    condition     = output.table_name == "MiroAuditLogs_CL" && output.table_body.properties.schema.name == "MiroAuditLogs_CL"
    error_message = "The table must be named from dcr/table.json."
  }
  assert {
    condition     = [for c in output.table_body.properties.schema.columns : c.name] == [for c in jsondecode(file("../../../dcr/table.json")).columns : c.name]
    error_message = "The table body must list the columns of dcr/table.json, in order."
  }
  assert {
    condition     = output.table_body.properties.plan == "Analytics" && output.table_body.properties.retentionInDays == 90 && output.table_body.properties.totalRetentionInDays == 365
    error_message = "Plan and retention must come from the variables."
  }
}

run "managed_by_tag_is_added_and_cannot_be_overridden" {
  command = plan

  variables {
    target = merge(var.target, { tags = { env = "test", "managed-by" = "someone-else" } })
  }

  assert {
    condition     = output.dce_body.tags == { env = "test", "managed-by" = "miro-sentinel" }
    error_message = "The DCE must carry the caller's tags plus managed-by = miro-sentinel."
  }

  assert {
    condition     = output.dcr_body.tags == { env = "test", "managed-by" = "miro-sentinel", "miro-sentinel-token-version" = "1" }
    error_message = "The DCR must carry the caller's tags, managed-by = miro-sentinel and the token version."
  }
}

run "a_new_token_version_changes_only_the_dcr_tag" {
  command = plan

  variables {
    target = merge(var.target, { token_version = "2" })
  }

  assert {
    condition     = output.dcr_body.tags["miro-sentinel-token-version"] == "2" && !contains(keys(output.dce_body.tags), "miro-sentinel-token-version")
    error_message = "target.token_version must reach the DCR's tags (and only the DCR's)."
  }
}

run "dcr_sends_the_stream_through_the_transform_into_the_table" {
  command = plan

  assert {
    condition     = output.dcr_body.properties.dataCollectionEndpointId == "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-miro/providers/Microsoft.Insights/dataCollectionEndpoints/dce-miro"
    error_message = "The DCR must point at the DCE built from the names."
  }
  assert {
    condition     = output.dcr_body.properties.dataFlows[0].streams == ["Custom-MiroAuditLogs_CL"] && output.dcr_body.properties.dataFlows[0].outputStream == "Custom-MiroAuditLogs_CL"
    error_message = "The data flow must read the declared stream and write the custom table."
  }
  assert {
    condition     = output.dcr_body.properties.dataFlows[0].transformKql == replace(file("../../../dcr/transform.kql"), "/[\\s\\v]+$/", "") && !endswith(output.dcr_body.properties.dataFlows[0].transformKql, "\n")
    error_message = "transformKql must be dcr/transform.kql without trailing whitespace."
  }
  assert {
    condition     = output.dcr_body.properties.destinations.logAnalytics[0].workspaceResourceId == "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-miro/providers/Microsoft.OperationalInsights/workspaces/law-miro"
    error_message = "Without target.workspace_resource_group the workspace is looked for in target.resource_group."
  }
}

run "workspace_may_live_in_another_resource_group" {
  command = plan

  variables {
    target = merge(var.target, { workspace_resource_group = "rg-sentinel" })
  }

  assert {
    condition     = output.workspace_resource_id == "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-sentinel/providers/Microsoft.OperationalInsights/workspaces/law-miro"
    error_message = "The workspace id must use target.workspace_resource_group."
  }
  assert {
    condition     = output.dce_resource_id == "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-miro/providers/Microsoft.Insights/dataCollectionEndpoints/dce-miro"
    error_message = "The DCE stays in target.resource_group."
  }
}

run "connector_body_never_holds_the_token" {
  command = plan

  assert {
    condition     = !contains(keys(output.connector_body.properties.auth), "APIKey") && output.connector_body.properties.auth.type == "APIKey"
    error_message = "The token goes only into sensitive_body; the connector body must not have auth.APIKey."
  }
  assert {
    condition     = output.connector_secret_path == "properties.auth.APIKey"
    error_message = "sensitive_body_version must be keyed by the path of the token in the body."
  }
}

run "connector_polls_miro_and_writes_to_our_dce_and_dcr" {
  command = plan

  variables {
    target = merge(var.target, { miro_api_base_url = "https://miro.example.test//" })
  }

  assert {
    condition     = output.connector_body.properties.request.apiEndpoint == "https://miro.example.test/v2/audit/logs"
    error_message = "Trailing slashes of target.miro_api_base_url must be dropped before /v2/audit/logs."
  }
  assert {
    condition = output.connector_body.properties.dcrConfig == {
      dataCollectionEndpoint        = "https://dce-miro-abcd.westeurope-1.ingest.monitor.azure.com"
      dataCollectionRuleImmutableId = "dcr-0123456789abcdef0123456789abcdef"
      streamName                    = "Custom-MiroAuditLogs_CL"
    }
    error_message = "dcrConfig must name our DCE, DCR and stream."
  }
  assert {
    condition     = output.connector_body.properties.connectorDefinitionName == "MiroAuditLogs" && output.connector_definition_body.properties.connectorUiConfig.id == "MiroAuditLogs"
    error_message = "Connector and definition must agree on the definition name."
  }
}

run "role_assignment_name_is_a_stable_guid_of_scope_principal_and_role" {
  command = plan

  variables {
    target = merge(var.target, { validation_principal_id = "AAAAAAAA-1111-1111-1111-111111111111" })
  }

  assert {
    # Same value as deployer.dcr.bodies.role_assignment_name(dcr id, "aaaaaaaa-1111-...").
    condition     = output.role_assignment_name == uuidv5("url", "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-miro/providers/microsoft.insights/datacollectionrules/dcr-miro|aaaaaaaa-1111-1111-1111-111111111111|3913510d-42f4-4e42-8a64-420c390055eb")
    error_message = "The name must be uuidv5(url) of the lower-cased scope, principal and role id."
  }
  assert {
    condition     = output.role_assignment_body.properties.roleDefinitionId == "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/3913510d-42f4-4e42-8a64-420c390055eb"
    error_message = "The role must be Monitoring Metrics Publisher."
  }
}

run "column_types_are_normalised_like_the_python_loader" {
  command = plan

  variables {
    dcr_directory = "tests/fixtures/dcr-spellings"
  }

  assert {
    condition     = [for c in output.table_body.properties.schema.columns : c.type] == ["datetime", "boolean", "real", "datetime", "guid", "dynamic"]
    error_message = "Table column types must be lower-cased as deployer/dcr/spec.py does."
  }
  assert {
    condition     = [for c in output.dcr_body.properties.streamDeclarations["Custom-Spellings_CL"].columns : c.type] == ["boolean", "real", "dynamic"]
    error_message = "Stream column types must be normalised the same way."
  }
  assert {
    condition     = [for c in output.table_body.properties.schema.columns : c.description] == ["Tables API spelling.", "Upper case.", "", "", "", ""]
    error_message = "A column without a description gets an empty one."
  }
  assert {
    condition     = startswith(output.dcr_body.properties.dataFlows[0].transformKql, "\n  source") && endswith(output.dcr_body.properties.dataFlows[0].transformKql, "new_guid())")
    error_message = "Only trailing whitespace is dropped from the transform (as str.rstrip does)."
  }
}

run "unknown_column_types_are_rejected" {
  command = plan

  variables {
    dcr_directory = "tests/fixtures/dcr-unknown-type"
  }

  expect_failures = [output.table_body, output.dcr_body]
}

run "retention_minus_one_leaves_both_properties_to_azure" {
  command = plan

  variables {
    target = merge(var.target, { retention_in_days = -1, total_retention_in_days = -1 })
  }

  assert {
    condition     = keys(output.table_body.properties) == ["plan", "schema"]
    error_message = "-1 means the workspace default: retentionInDays and totalRetentionInDays must be left out."
  }
}

run "a_basic_table_sends_its_total_retention_but_never_retention_in_days" {
  command = plan

  variables {
    target = merge(var.target, { table_plan = "Basic", retention_in_days = -1, total_retention_in_days = 4383 })
  }

  assert {
    condition     = output.table_body.properties.plan == "Basic" && output.table_body.properties.totalRetentionInDays == 4383 && !contains(keys(output.table_body.properties), "retentionInDays")
    error_message = "A Basic table's retentionInDays is read-only (30 days); only plan and totalRetentionInDays are sent."
  }
}

run "only_the_required_target_attributes_give_the_deployer_defaults" {
  command = plan

  variables {
    target = {
      location                = "westeurope"
      resource_group          = "rg-miro"
      subscription_id         = "00000000-0000-0000-0000-000000000000"
      validation_principal_id = "11111111-1111-1111-1111-111111111111"
      workspace_name          = "law-miro"
    }
  }

  assert {
    condition     = output.dcr_resource_id == "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-miro/providers/Microsoft.Insights/dataCollectionRules/dcr-miro-audit-logs"
    error_message = "target.dcr_name must default to the deployer's resources.dcr_name."
  }
  assert {
    condition     = keys(output.table_body.properties) == ["plan", "schema"] && output.table_body.properties.plan == "Analytics"
    error_message = "An Analytics table with the workspace's retention is the default."
  }
  assert {
    condition     = output.connector_body.properties.connectorDefinitionName == "MiroSentinelAuditLogs" && output.dcr_body.tags["miro-sentinel-token-version"] == "1"
    error_message = "Connector definition name and token version must default to the deployer's."
  }
}

run "the_table_may_be_renamed_and_the_stream_keeps_its_name" {
  command = plan

  variables {
    target = merge(var.target, { table_name = "MiroAudit2_CL" })
  }

  assert {
    condition     = output.table_name == "MiroAudit2_CL" && output.table_body.properties.schema.name == "MiroAudit2_CL" && output.table_resource_id == "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-miro/providers/Microsoft.OperationalInsights/workspaces/law-miro/tables/MiroAudit2_CL"
    error_message = "target.table_name must name the table."
  }
  assert {
    condition     = output.dcr_body.properties.dataFlows[0].outputStream == "Custom-MiroAudit2_CL" && output.stream_name == "Custom-MiroAuditLogs_CL"
    error_message = "The DCR must write the renamed table from the stream of dcr/stream.json."
  }
}
