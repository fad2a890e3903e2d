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

resource "aws_iam_role" "this" {
  name                 = local.role_name
  description          = "Runs ${var.name}: its own logs, X-Ray traces and what its policy statements allow, nothing else."
  assume_role_policy   = data.aws_iam_policy_document.assume_lambda.json
  max_session_duration = 3600
  tags                 = var.tags
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

  # What the function's own code calls (policy_statements), as the caller wrote it.
  dynamic "statement" {
    for_each = var.policy_statements

    content {
      sid       = statement.value.sid
      effect    = statement.value.effect
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-least-privilege"
  role   = aws_iam_role.this.id
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

# Calls the API's routes, and nothing else. The module attaches it to no one: attach it to the users, groups or roles
# that may call the API (see the invoke_policy_arn output).
data "aws_iam_policy_document" "invoke" {
  count = var.authorization == "AWS_IAM" ? 1 : 0

  statement {
    sid       = "InvokeApiRoutes"
    actions   = ["execute-api:Invoke"]
    resources = [for path in local.route_invoke_paths : "${aws_apigatewayv2_api.this.execution_arn}/${path}"]
  }
}

resource "aws_iam_policy" "invoke" {
  count = var.authorization == "AWS_IAM" ? 1 : 0

  name        = local.invoke_policy_name
  description = "Call the ${local.api_name} HTTP API (SigV4-signed requests to its routes only). Attach it to whoever may use the API."
  policy      = data.aws_iam_policy_document.invoke[0].json
  tags        = var.tags
}
