terraform {
  # 1.11: write-only arguments (azapi `sensitive_body`) and ephemeral input variables (1.10).
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    # AzAPI only: azurerm has no resource for Sentinel CCF connector definitions or RestApiPoller
    # connectors, and AVM builds new modules on AzAPI. 2.5.0 added `sensitive_body_version`; before
    # 2.8.0 it panics when `sensitive_body` is null (GH-999), which it is without a token. 3.x changes
    # import rules, so stay on 2.x.
    azapi = {
      source  = "Azure/azapi"
      version = ">= 2.8.0, < 3.0.0"
    }
  }
}
