terraform {
  # Developed and checked with Terraform 1.11; terraform_data itself needs 1.4 or later.
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Lambda's logging_config and the table's deletion protection are in every 5.x from 5.70 on.
      version = ">= 5.70.0, < 6.0.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, { Project = var.name_prefix })
  }
}
