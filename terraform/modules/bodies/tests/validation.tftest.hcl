# Every validation block of the module, each with a value it must refuse.

run "valid_inputs_are_accepted" {
  command = plan
}

run "connector_definition_name_refuses_a_quote" {
  command = plan
  variables {
    connector_definition_name = "Miro\"Logs"
  }
  expect_failures = [var.connector_definition_name]
}

run "connector_name_refuses_a_space" {
  command = plan
  variables {
    connector_name = "Miro Poller"
  }
  expect_failures = [var.connector_name]
}

run "data_collection_endpoint_name_refuses_a_trailing_hyphen" {
  command = plan
  variables {
    data_collection_endpoint_name = "dce-miro-"
  }
  expect_failures = [var.data_collection_endpoint_name]
}

run "data_collection_rule_name_refuses_65_characters" {
  command = plan
  variables {
    data_collection_rule_name = "d${join("", [for i in range(64) : "x"])}"
  }
  expect_failures = [var.data_collection_rule_name]
}

run "dce_logs_ingestion_endpoint_refuses_http" {
  command = plan
  variables {
    dce_logs_ingestion_endpoint = "http://dce-miro.westeurope-1.ingest.monitor.azure.com"
  }
  expect_failures = [var.dce_logs_ingestion_endpoint]
}

run "dcr_immutable_id_refuses_a_backslash" {
  command = plan
  variables {
    dcr_immutable_id = "dcr-\\0123"
  }
  expect_failures = [var.dcr_immutable_id]
}

run "location_refuses_a_display_name" {
  command = plan
  variables {
    location = "West Europe"
  }
  expect_failures = [var.location]
}

run "miro_api_base_url_refuses_a_quote" {
  command = plan
  variables {
    miro_api_base_url = "https://api.miro.com/\""
  }
  expect_failures = [var.miro_api_base_url]
}

run "miro_token_version_refuses_empty" {
  command = plan
  variables {
    miro_token_version = ""
  }
  expect_failures = [var.miro_token_version]
}

run "resource_group_name_refuses_a_trailing_dot" {
  command = plan
  variables {
    resource_group_name = "rg-miro."
  }
  expect_failures = [var.resource_group_name]
}

run "retention_in_days_refuses_three" {
  command = plan
  variables {
    retention_in_days = 3
  }
  expect_failures = [var.retention_in_days]
}

run "subscription_id_refuses_a_name" {
  command = plan
  variables {
    subscription_id = "my-subscription"
  }
  expect_failures = [var.subscription_id]
}

run "table_plan_refuses_lower_case" {
  command = plan
  variables {
    table_plan = "analytics"
  }
  expect_failures = [var.table_plan]
}

run "tags_refuses_a_slash_in_a_key" {
  command = plan
  variables {
    tags = { "cost/center" = "42" }
  }
  expect_failures = [var.tags]
}

run "total_retention_in_days_refuses_less_than_retention" {
  command = plan
  variables {
    retention_in_days       = 90
    total_retention_in_days = 30
  }
  expect_failures = [var.total_retention_in_days]
}

run "validation_principal_id_refuses_a_name" {
  command = plan
  variables {
    validation_principal_id = "deployer-sp"
  }
  expect_failures = [var.validation_principal_id]
}

run "validation_principal_type_refuses_an_unknown_kind" {
  command = plan
  variables {
    validation_principal_type = "App"
  }
  expect_failures = [var.validation_principal_type]
}

run "workspace_name_refuses_three_characters" {
  command = plan
  variables {
    workspace_name = "law"
  }
  expect_failures = [var.workspace_name]
}

run "dcr_directory_refuses_a_directory_without_table_json" {
  command = plan
  variables {
    dcr_directory = "tests"
  }
  expect_failures = [var.dcr_directory]
}

run "workspace_resource_group_name_refuses_a_trailing_dot" {
  command = plan
  variables {
    workspace_resource_group_name = "rg-sentinel."
  }
  expect_failures = [var.workspace_resource_group_name]
}
