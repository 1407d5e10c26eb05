# Root configuration that `miro-sentinel deploy` runs (deployer/terraform/). The reusable module is
# modules/pipeline; examples/default shows it used on its own.
terraform {
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    azapi = {
      source  = "Azure/azapi"
      version = ">= 2.8.0, < 3.0.0"
    }
  }

  # Partial configuration: one state per environment. The deployer writes the environment's
  # storage account, container and key into a .tfbackend file and runs `terraform init
  # -backend-config=<file>`; the local environment overrides this block with local state.
  backend "azurerm" {}
}
