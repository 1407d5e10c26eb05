# The smallest useful deployment: the Miro pipeline into an existing Sentinel workspace.
#   export TF_VAR_miro_token=...   # never in a file or on the command line
#   terraform init && terraform apply   # other inputs from a terraform.tfvars you write

module "miro_sentinel" {
  source = "../../modules/pipeline"

  miro_token = var.miro_token
  target = {
    location                = var.location
    resource_group          = var.resource_group_name
    subscription_id         = var.subscription_id
    token_version           = var.miro_token_version
    validation_principal_id = var.validation_principal_id
    workspace_name          = var.workspace_name
  }
}
