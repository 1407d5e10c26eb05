provider "azapi" {
  subscription_id = var.target.subscription_id
  tenant_id       = var.target.tenant_id
}
