locals {
  # The $default stage serves at the API's root; no trailing slash, so "<api_url>/users" reads right.
  api_url = trimsuffix(aws_apigatewayv2_stage.default.invoke_url, "/")
}

output "api_url" {
  description = "Base URL of the API; the users collection is at <api_url>/users."
  value       = local.api_url
}

output "curl_example" {
  description = "A command to try the deployed API: creates a user, then lists users."
  value       = "curl -si -X POST '${local.api_url}/users' -H 'content-type: application/json' -d '{\"name\": \"Ada Lovelace\", \"email\": \"ada@example.com\"}' && curl -si '${local.api_url}/users'"
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
