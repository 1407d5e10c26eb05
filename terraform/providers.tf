provider "azapi" {
  subscription_id = var.subscription_id
  tenant_id       = var.tenant_id
}
