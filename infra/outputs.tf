locals {
  api_url          = module.function.api_url
  curl_credentials = module.function.curl_auth_options
}

output "api_url" {
  description = "Base URL of the API; the users collection is at <api_url>/users."
  value       = local.api_url
}

output "authorization" {
  description = "How callers authenticate: AWS_IAM (SigV4 with credentials allowed by invoke_policy_arn), JWT (Authorization: Bearer <token from jwt_issuer>) or NONE (open to anyone with the URL)."
  value       = module.function.authorization
}

output "curl_example" {
  description = "A command to try the deployed API: creates a user, then lists users. AWS_IAM: it signs with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the environment; JWT: it sends the token in TOKEN."
  value       = "curl -si ${local.curl_credentials}-X POST '${local.api_url}/users' -H 'content-type: application/json' -d '{\"name\": \"Ada Lovelace\", \"email\": \"ada@example.com\"}' && curl -si ${local.curl_credentials}'${local.api_url}/users'"
}

output "invoke_policy_arn" {
  description = "AWS_IAM: ARN of the IAM policy that allows calling this API's routes and nothing else; attach it to the users, groups or roles that may call the API. null with JWT or NONE."
  value       = module.function.invoke_policy_arn
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = module.function.function_name
}

output "function_alias" {
  description = "Name of the alias API Gateway invokes."
  value       = module.function.alias_name
}

output "function_alias_arn" {
  description = "ARN of the live alias (what API Gateway invokes)."
  value       = module.function.alias_arn
}

output "live_version" {
  description = "Function version the live alias points at; pass an earlier one as live_version to roll back."
  value       = module.function.live_version
}

output "published_version" {
  description = "Newest function version this configuration published."
  value       = module.function.published_version
}

output "table_name" {
  description = "Name of the DynamoDB users table."
  value       = aws_dynamodb_table.users.name
}

output "layer_arn" {
  description = "ARN of the layer version the function uses (with its version number)."
  value       = module.function.layer_arn
}

output "role_name" {
  description = "Name of the function's IAM role."
  value       = module.function.role_name
}

output "function_log_group" {
  description = "CloudWatch log group of the function's JSON logs; a request's lines carry its Lambda request id (requestId), the integrationRequestId of its line in access_log_group."
  value       = module.function.function_log_group
}

output "access_log_group" {
  description = "CloudWatch log group of the API's access log: one JSON line per request, whose integrationRequestId is the Lambda request id of the function's log lines for that request."
  value       = module.function.access_log_group
}

output "function_url" {
  description = "With response_streaming: the function URL that streams the users API's responses (with a trailing slash, so users are at <function_url>users). null otherwise."
  value       = module.function.function_url
}

output "function_url_curl" {
  description = "With response_streaming: a curl command that reads a streamed response from the function URL as it arrives, signed with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the environment unless authorization is NONE. null otherwise."
  value       = module.function.function_url_curl
}

output "schedule_arns" {
  description = "ARNs of the EventBridge Scheduler schedules that run the app's commands, by key of schedules."
  value       = module.function.schedule_arns
}
