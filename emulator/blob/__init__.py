"""Azure Blob Storage, as much as a lock beside the Terraform state needs: blobs, their metadata, leases."""
