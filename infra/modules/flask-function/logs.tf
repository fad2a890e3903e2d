# Made here, with retention, before the function exists, so Lambda never creates it unmanaged.
resource "aws_cloudwatch_log_group" "function" {
  # checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log data at rest by default; a customer managed KMS key would add a monthly charge.
  # checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (30 days by default) so that logs do not pile up storage costs; raise it where a year is required.
  name              = local.function_log_group_name
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

# The API's access log: one JSON line per request (see the stage in api.tf).
resource "aws_cloudwatch_log_group" "access" {
  # checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log data at rest by default; a customer managed KMS key would add a monthly charge.
  # checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (30 days by default) so that logs do not pile up storage costs; raise it where a year is required.
  name              = local.access_log_name
  retention_in_days = var.log_retention_days
  tags              = var.tags
}
