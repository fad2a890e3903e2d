terraform {
  # Validations that name other variables need Terraform 1.9 or later.
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Lambda's logging_config is in every 5.x from 5.70 on.
      version = ">= 5.70.0, < 6.0.0"
    }
  }
}
