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

  # Tombstones the code leaves behind carry expiresAt (epoch seconds, table.TTL_ATTRIBUTE): DynamoDB removes them.
  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }

  # checkov:skip=CKV_AWS_119:Encrypted with the AWS managed key (aws/dynamodb); a customer managed KMS key would add a monthly charge to an otherwise free-at-rest stack.
  server_side_encryption {
    enabled = true
  }

  deletion_protection_enabled = var.table_deletion_protection
}

locals {
  # Exactly the DynamoDB calls the function code makes (a test derives the same set from api/*.py).
  # A transaction has no IAM action of its own: each of its Put, Update, Delete and ConditionCheck
  # items is authorised as PutItem, UpdateItem, DeleteItem or ConditionCheckItem.
  dynamodb_actions = [
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
  ]

  # What the function's role may do with the table, besides its own logs and X-Ray (the module's statements).
  table_policy_statements = [
    {
      # The table has no index, so the table's own ARN is the only DynamoDB resource.
      sid       = "UsersTable"
      actions   = local.dynamodb_actions
      resources = [aws_dynamodb_table.users.arn]
    },
  ]
}
