locals {
  # What a browser may send (CORS): the body's media type and, unless the API is open, the credentials: a
  # bearer token, or SigV4's Authorization header with the headers it signs.
  cors_allow_headers = concat(
    ["content-type"],
    var.authorization == "NONE" ? [] : ["authorization"],
    var.authorization == "AWS_IAM" ? ["x-amz-content-sha256", "x-amz-date", "x-amz-security-token"] : [],
  )
  # The methods of the routes (with CORS, every route names its method).
  cors_allow_methods   = sort(distinct([for route in var.routes : split(" ", route)[0]]))
  cors_max_age_seconds = 3600
}

resource "aws_apigatewayv2_api" "this" {
  name          = local.api_name
  description   = var.description
  protocol_type = "HTTP"
  tags          = var.tags

  # No origins, no block: API Gateway then sends no CORS headers at all. With one, it answers preflight
  # OPTIONS requests itself, before any route or authorizer, and adds the headers to every answer.
  dynamic "cors_configuration" {
    for_each = length(var.cors_allow_origins) > 0 ? [var.cors_allow_origins] : []

    content {
      allow_origins  = cors_configuration.value
      allow_methods  = local.cors_allow_methods
      allow_headers  = local.cors_allow_headers
      expose_headers = var.cors_expose_headers
      max_age        = local.cors_max_age_seconds
    }
  }
}

# Validates bearer tokens before the function runs: signature (keys from the issuer's
# .well-known/openid-configuration), iss, aud or client_id, exp, nbf and the route's scopes.
resource "aws_apigatewayv2_authorizer" "jwt" {
  count = var.authorization == "JWT" ? 1 : 0

  api_id           = aws_apigatewayv2_api.this.id
  name             = local.authorizer_name
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_issuer
    audience = var.jwt_audience
  }
}

resource "aws_apigatewayv2_integration" "this" {
  api_id                 = aws_apigatewayv2_api.this.id
  description            = "The function's ${var.alias_name} alias"
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_alias.this.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 30000
}

resource "aws_apigatewayv2_route" "this" {
  for_each = toset(var.routes)

  api_id    = aws_apigatewayv2_api.this.id
  route_key = each.value
  target    = "integrations/${aws_apigatewayv2_integration.this.id}"

  # Every route the same way: AWS_IAM unless NONE was chosen explicitly.
  authorization_type   = var.authorization
  authorizer_id        = var.authorization == "JWT" ? aws_apigatewayv2_authorizer.jwt[0].id : null
  authorization_scopes = var.authorization == "JWT" ? lookup(var.jwt_route_scopes, each.value, null) : null
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = local.stage_name
  auto_deploy = true
  tags        = var.tags

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  # One JSON line per request, the record of every request whether or not the function logs its own.
  # integrationRequestId is the Lambda request id: the requestId of the function's log lines for
  # that request. Who called: the IAM caller's ARN (AWS_IAM) or the token's subject (JWT), and why an
  # authorizer refused. Every value is quoted, so a missing one ("-") still leaves valid JSON.
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId                = "$context.requestId"
      requestTime              = "$context.requestTime"
      sourceIp                 = "$context.identity.sourceIp"
      userAgent                = "$context.identity.userAgent"
      userArn                  = "$context.identity.userArn"
      tokenSubject             = "$context.authorizer.claims.sub"
      authorizerError          = "$context.authorizer.error"
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

resource "aws_lambda_permission" "api_gateway" {
  statement_id  = "AllowInvokeFromHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = aws_lambda_alias.this.name
  principal     = "apigateway.amazonaws.com"
  # Any stage and route of this API, and no other API.
  source_arn = "${aws_apigatewayv2_api.this.execution_arn}/*/*"
}
