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
}

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    sid     = "LambdaAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  name                 = local.role_name
  description          = "Runs ${local.function_name}: its own logs, X-Ray traces and the users table, nothing else."
  assume_role_policy   = data.aws_iam_policy_document.assume_lambda.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "function" {
  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }

  statement {
    # X-Ray's trace upload actions have no resource-level permissions: "*" is the only resource they accept.
    sid       = "Traces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  statement {
    # The table has no index, so the table's own ARN is the only DynamoDB resource.
    sid       = "UsersTable"
    actions   = local.dynamodb_actions
    resources = [aws_dynamodb_table.users.arn]
  }
}

resource "aws_iam_role_policy" "function" {
  name   = "${local.function_name}-least-privilege"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}
