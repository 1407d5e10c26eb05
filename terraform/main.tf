module "pipeline" {
  source = "./modules/pipeline"

  content_directory = var.content_directory
  dcr_directory     = var.dcr_directory
  miro_token        = var.miro_token
  target            = var.target
}
