resource "aws_apigatewayv2_api" "http" {
  name          = local.api_name
  description   = "Users API (Flask on Lambda)"
  protocol_type = "HTTP"

  dynamic "cors_configuration" {
    for_each = length(var.cors_allow_origins) > 0 ? [var.cors_allow_origins] : []

    content {
      allow_origins  = cors_configuration.value
      allow_methods  = ["GET", "POST", "PATCH", "DELETE", "OPTIONS"]
      allow_headers  = ["content-type", "authorization"]
      expose_headers = ["location"]
      max_age        = 3600
    }
  }
}

resource "aws_apigatewayv2_integration" "function" {
  api_id                 = aws_apigatewayv2_api.http.id
  description            = "The function's live alias"
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_alias.live.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 30000
}

resource "aws_apigatewayv2_route" "function" {
  # checkov:skip=CKV_AWS_309:The users API is public by design (a sample with no accounts); add an authorizer here for real data.
  for_each = toset(var.routes)

  api_id    = aws_apigatewayv2_api.http.id
  route_key = each.value
  target    = "integrations/${aws_apigatewayv2_integration.function.id}"
}

resource "aws_cloudwatch_log_group" "access" {
  # checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log data at rest by default; a customer managed KMS key would add a monthly charge.
  # checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (30 days by default) so that logs of a sample API do not pile up storage costs; raise it where a year is required.
  name              = local.access_log_name
  retention_in_days = var.log_retention_days
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.http.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  # One JSON line per request, the record of every request whether or not the function logs its own.
  # integrationRequestId is the Lambda request id: the requestId of the function's log lines for
  # that request. Every value is quoted, so a missing one ("-") still leaves valid JSON.
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId                = "$context.requestId"
      requestTime              = "$context.requestTime"
      sourceIp                 = "$context.identity.sourceIp"
      userAgent                = "$context.identity.userAgent"
      httpMethod               = "$context.httpMethod"
      path                     = "$context.path"
      routeKey                 = "$context.routeKey"
      protocol                 = "$context.protocol"
      status                   = "$context.status"
      responseLength           = "$context.responseLength"
      responseLatency          = "$context.responseLatency"
      integrationRequestId     = "$context.integration.requestId"
      integrationLatency       = "$context.integrationLatency"
      integrationStatus        = "$context.integration.status"
      integrationServiceStatus = "$context.integrationStatus"
      integrationError         = "$context.integration.error"
      integrationErrorMessage  = "$context.integrationErrorMessage"
    })
  }
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowInvokeFromHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.api.function_name
  qualifier     = aws_lambda_alias.live.name
  principal     = "apigateway.amazonaws.com"
  # Any stage and route of this API, and no other API.
  source_arn = "${aws_apigatewayv2_api.http.execution_arn}/*/*"
}
