# Every validation block of the module, each with a value it must refuse. Runs on `target` are
# named after the attribute whose validation they exercise (a pytest checks that none is missing).

run "valid_inputs_are_accepted" {
  command = plan
}

run "subscription_id_refuses_a_name" {
  command = plan
  variables {
    target = merge(var.target, { subscription_id = "my-subscription" })
  }
  expect_failures = [var.target]
}

run "resource_group_refuses_a_trailing_dot" {
  command = plan
  variables {
    target = merge(var.target, { resource_group = "rg-miro." })
  }
  expect_failures = [var.target]
}

run "location_refuses_a_display_name" {
  command = plan
  variables {
    target = merge(var.target, { location = "West Europe" })
  }
  expect_failures = [var.target]
}

run "workspace_name_refuses_three_characters" {
  command = plan
  variables {
    target = merge(var.target, { workspace_name = "law" })
  }
  expect_failures = [var.target]
}

run "validation_principal_id_refuses_a_name" {
  command = plan
  variables {
    target = merge(var.target, { validation_principal_id = "deployer-sp" })
  }
  expect_failures = [var.target]
}

run "connector_definition_name_refuses_a_quote" {
  command = plan
  variables {
    target = merge(var.target, { connector_definition_name = "Miro\"Logs" })
  }
  expect_failures = [var.target]
}

run "connector_name_refuses_a_space" {
  command = plan
  variables {
    target = merge(var.target, { connector_name = "Miro Poller" })
  }
  expect_failures = [var.target]
}

run "dce_name_refuses_a_trailing_hyphen" {
  command = plan
  variables {
    target = merge(var.target, { dce_name = "dce-miro-" })
  }
  expect_failures = [var.target]
}

run "dcr_name_refuses_65_characters" {
  command = plan
  variables {
    target = merge(var.target, { dcr_name = "d${join("", [for i in range(64) : "x"])}" })
  }
  expect_failures = [var.target]
}

run "miro_api_base_url_refuses_a_quote" {
  command = plan
  variables {
    target = merge(var.target, { miro_api_base_url = "https://api.miro.com/\"" })
  }
  expect_failures = [var.target]
}

run "retention_in_days_refuses_three" {
  command = plan
  variables {
    target = merge(var.target, { retention_in_days = 3 })
  }
  expect_failures = [var.target]
}

run "retention_in_days_refuses_a_value_for_a_basic_table" {
  command = plan
  variables {
    target = merge(var.target, { table_plan = "Basic", retention_in_days = 30 })
  }
  expect_failures = [var.target]
}

run "table_name_refuses_a_name_without_cl" {
  command = plan
  variables {
    target = merge(var.target, { table_name = "MiroAuditLogs" })
  }
  expect_failures = [var.target]
}

run "table_plan_refuses_lower_case" {
  command = plan
  variables {
    target = merge(var.target, { table_plan = "analytics" })
  }
  expect_failures = [var.target]
}

run "tags_refuses_a_slash_in_a_name" {
  command = plan
  variables {
    target = merge(var.target, { tags = { "cost/center" = "42" } })
  }
  expect_failures = [var.target]
}

run "tenant_id_refuses_a_domain" {
  command = plan
  variables {
    target = merge(var.target, { tenant_id = "contoso.onmicrosoft.com" })
  }
  expect_failures = [var.target]
}

run "token_version_refuses_empty" {
  command = plan
  variables {
    target = merge(var.target, { token_version = "" })
  }
  expect_failures = [var.target]
}

run "total_retention_in_days_refuses_4384" {
  command = plan
  variables {
    target = merge(var.target, { total_retention_in_days = 4384 })
  }
  expect_failures = [var.target]
}

run "total_retention_in_days_refuses_less_than_retention" {
  command = plan
  variables {
    target = merge(var.target, { retention_in_days = 90, total_retention_in_days = 30 })
  }
  expect_failures = [var.target]
}

run "validation_principal_type_refuses_an_unknown_kind" {
  command = plan
  variables {
    target = merge(var.target, { validation_principal_type = "App" })
  }
  expect_failures = [var.target]
}

run "workspace_resource_group_refuses_a_trailing_dot" {
  command = plan
  variables {
    target = merge(var.target, { workspace_resource_group = "rg-sentinel." })
  }
  expect_failures = [var.target]
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

run "dcr_directory_refuses_a_directory_without_table_json" {
  command = plan
  variables {
    dcr_directory = "tests"
  }
  expect_failures = [var.dcr_directory]
}

run "content_refuses_an_event_name_with_a_quote" {
  command = plan
  variables {
    target = merge(var.target, { content = { sign_in_failure_events = ["sign_in_failed'"] } })
  }
  expect_failures = [var.target]
}

run "content_refuses_a_day_that_is_not_a_week_day" {
  command = plan
  variables {
    target = merge(var.target, { content = { working_days = ["Mon"] } })
  }
  expect_failures = [var.target]
}

run "content_refuses_a_dormancy_of_14_days" {
  command = plan
  variables {
    target = merge(var.target, { content = { dormancy_days = 14 } })
  }
  expect_failures = [var.target]
}
