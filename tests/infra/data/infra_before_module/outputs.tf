locals {
  # The $default stage serves at the API's root; no trailing slash, so "<api_url>/users" reads right.
  api_url = trimsuffix(aws_apigatewayv2_stage.default.invoke_url, "/")

  # curl's options that authenticate a request the way the API requires. AWS_IAM: curl signs with the caller's
  # credentials from the environment. The session token header is only there when AWS_SESSION_TOKEN is set (curl
  # would sign an empty header it does not send, which AWS refuses); two expansions of one word each, so that no
  # shell has to split a word.
  curl_credentials = {
    AWS_IAM = "--aws-sigv4 \"aws:amz:${var.region}:execute-api\" --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" $${AWS_SESSION_TOKEN:+-H} $${AWS_SESSION_TOKEN:+\"x-amz-security-token: $AWS_SESSION_TOKEN\"} "
    JWT     = "-H \"Authorization: Bearer $TOKEN\" "
    NONE    = ""
  }[var.authorization]
}

output "api_url" {
  description = "Base URL of the API; the users collection is at <api_url>/users."
  value       = local.api_url
}

output "authorization" {
  description = "How callers authenticate: AWS_IAM (SigV4 with credentials allowed by invoke_policy_arn), JWT (Authorization: Bearer <token from jwt_issuer>) or NONE (open to anyone with the URL)."
  value       = var.authorization
}

output "curl_example" {
  description = "A command to try the deployed API: creates a user, then lists users. AWS_IAM: it signs with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the environment; JWT: it sends the token in TOKEN."
  value       = "curl -si ${local.curl_credentials}-X POST '${local.api_url}/users' -H 'content-type: application/json' -d '{\"name\": \"Ada Lovelace\", \"email\": \"ada@example.com\"}' && curl -si ${local.curl_credentials}'${local.api_url}/users'"
}

output "invoke_policy_arn" {
  description = "AWS_IAM: ARN of the IAM policy that allows calling this API's routes and nothing else; attach it to the users, groups or roles that may call the API. null with JWT or NONE."
  value       = one(aws_iam_policy.invoke[*].arn)
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.api.function_name
}

output "function_alias" {
  description = "Name of the alias API Gateway invokes."
  value       = aws_lambda_alias.live.name
}

output "function_alias_arn" {
  description = "ARN of the live alias (what API Gateway invokes)."
  value       = aws_lambda_alias.live.arn
}

output "live_version" {
  description = "Function version the live alias points at; pass an earlier one as live_version to roll back."
  value       = aws_lambda_alias.live.function_version
}

output "published_version" {
  description = "Newest function version this configuration published."
  value       = aws_lambda_function.api.version
}

output "table_name" {
  description = "Name of the DynamoDB users table."
  value       = aws_dynamodb_table.users.name
}

output "layer_arn" {
  description = "ARN of the layer version the function uses (with its version number)."
  value       = aws_lambda_layer_version.flask.arn
}

output "function_log_group" {
  description = "CloudWatch log group of the function's JSON logs; a request's lines carry its Lambda request id (requestId), the integrationRequestId of its line in access_log_group."
  value       = aws_cloudwatch_log_group.function.name
}

output "access_log_group" {
  description = "CloudWatch log group of the API's access log: one JSON line per request, whose integrationRequestId is the Lambda request id of the function's log lines for that request."
  value       = aws_cloudwatch_log_group.access.name
}
