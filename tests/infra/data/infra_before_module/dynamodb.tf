# The layout mirrors TABLE_DEFINITION in api/table.py (a test compares the two). No secondary index: the code
# lists users with a strongly consistent Query of the table itself, which an index could not offer.
resource "aws_dynamodb_table" "users" {
  name         = local.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  # checkov:skip=CKV_AWS_119:Encrypted with the AWS managed key (aws/dynamodb); a customer managed KMS key would add a monthly charge to an otherwise free-at-rest stack.
  server_side_encryption {
    enabled = true
  }

  deletion_protection_enabled = var.table_deletion_protection
}
