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

locals {
  # Each route as the tail of its execute-api ARN, <stage>/<METHOD>/<path>: what a request to it is authorised
  # against (AWS_IAM). ANY is any method, a path parameter any value ({proxy+} any rest of the path), $default any
  # request. The API's execution ARN comes before it, so no other API, account, region or partition is covered.
  route_invoke_paths = [
    for route in var.routes : route == "$default" ? "${local.stage_name}/*/*" : join("/", [
      local.stage_name,
      split(" ", route)[0] == "ANY" ? "*" : split(" ", route)[0],
      trimprefix(replace(split(" ", route)[1], "/\\{[^}]+\\}/", "*"), "/"),
    ])
  ]
}

# Calls the API's routes, and nothing else. Terraform attaches it to no one: attach it to the users, groups or roles
# that may call the API (see the invoke_policy_arn output).
data "aws_iam_policy_document" "invoke" {
  count = var.authorization == "AWS_IAM" ? 1 : 0

  statement {
    sid       = "InvokeUsersApiRoutes"
    actions   = ["execute-api:Invoke"]
    resources = [for path in local.route_invoke_paths : "${aws_apigatewayv2_api.http.execution_arn}/${path}"]
  }
}

resource "aws_iam_policy" "invoke" {
  count = var.authorization == "AWS_IAM" ? 1 : 0

  name        = local.invoke_policy_name
  description = "Call the ${local.api_name} HTTP API (SigV4-signed requests to its routes only). Attach it to whoever may use the API."
  policy      = data.aws_iam_policy_document.invoke[0].json
}
