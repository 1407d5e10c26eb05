module "pipeline" {
  source = "./modules/pipeline"

  dcr_directory = var.dcr_directory
  miro_token    = var.miro_token
  target        = var.target
}
