data "aws_region" "current" {}

locals {
  # The $default stage serves at the API's root; no trailing slash, so "<api_url>/items" reads right.
  api_url = trimsuffix(aws_apigatewayv2_stage.this.invoke_url, "/")

  # curl's options that authenticate a request the way the API requires. AWS_IAM: curl signs with the caller's
  # credentials from the environment. The session token header is only there when AWS_SESSION_TOKEN is set (curl
  # would sign an empty header it does not send, which AWS refuses); two expansions of one word each, so that no
  # shell has to split a word.
  curl_auth_options = {
    AWS_IAM = "--aws-sigv4 \"aws:amz:${data.aws_region.current.name}:execute-api\" --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" $${AWS_SESSION_TOKEN:+-H} $${AWS_SESSION_TOKEN:+\"x-amz-security-token: $AWS_SESSION_TOKEN\"} "
    JWT     = "-H \"Authorization: Bearer $TOKEN\" "
    NONE    = ""
  }[var.authorization]

  # The function URL's, signed for the lambda service (AWS_IAM) or not (NONE), the session token as above.
  function_url_curl_auth_options = {
    AWS_IAM = "--aws-sigv4 \"aws:amz:${data.aws_region.current.name}:lambda\" --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" $${AWS_SESSION_TOKEN:+-H} $${AWS_SESSION_TOKEN:+\"x-amz-security-token: $AWS_SESSION_TOKEN\"} "
    NONE    = ""
  }[local.function_url_authorization]
  function_url = one(aws_lambda_function_url.this[*].function_url)

  # The example asks for the first GET route without path parameters, or the API's root.
  curl_example_path = try([for route in var.routes : split(" ", route)[1] if startswith(route, "GET ") && !strcontains(route, "{")][0], "/")
}

output "api_url" {
  description = "Base URL of the API (the $default stage), without a trailing slash."
  value       = local.api_url
}

output "api_id" {
  description = "Id of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_execution_arn" {
  description = "Execution ARN of the HTTP API, the prefix of its routes' execute-api ARNs."
  value       = aws_apigatewayv2_api.this.execution_arn
}

output "authorization" {
  description = "How callers authenticate: AWS_IAM (SigV4 with credentials allowed by invoke_policy_arn), JWT (Authorization: Bearer <token from jwt_issuer>) or NONE (open to anyone with the URL)."
  value       = var.authorization
}

output "invoke_policy_arn" {
  description = "AWS_IAM: ARN of the IAM policy that allows execute-api:Invoke on exactly the API's routes; attach it to the users, groups or roles that may call the API. null with JWT or NONE."
  value       = one(aws_iam_policy.invoke[*].arn)
}

output "curl_auth_options" {
  description = "The curl options that authenticate a request as the API requires, with a trailing space (empty with NONE): SigV4 from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN in the environment (AWS_IAM), or the bearer token in TOKEN (JWT)."
  value       = local.curl_auth_options
}

output "curl_example" {
  description = "A curl command that sends a GET request to the API (its first GET route without path parameters, or /), authenticated as curl_auth_options says."
  value       = "curl -si ${local.curl_auth_options}'${local.api_url}${local.curl_example_path}'"
}

output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function (unqualified)."
  value       = aws_lambda_function.this.arn
}

output "alias_name" {
  description = "Name of the alias API Gateway invokes."
  value       = aws_lambda_alias.this.name
}

output "alias_arn" {
  description = "ARN of the alias API Gateway invokes."
  value       = aws_lambda_alias.this.arn
}

output "live_version" {
  description = "Function version the alias points at; pass an earlier one as live_version to roll back."
  value       = aws_lambda_alias.this.function_version
}

output "published_version" {
  description = "Newest function version this configuration published."
  value       = aws_lambda_function.this.version
}

output "layer_arn" {
  description = "ARN of the layer version the function uses (with its version number): the one published from layer_zip, or layer_arn."
  value       = local.layer_arn
}

output "role_name" {
  description = "Name of the function's IAM role, to attach more policies to."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the function's IAM role."
  value       = aws_iam_role.this.arn
}

output "function_log_group" {
  description = "CloudWatch log group of the function's JSON logs; a request's lines carry its Lambda request id (requestId), the integrationRequestId of its line in access_log_group."
  value       = aws_cloudwatch_log_group.function.name
}

output "access_log_group" {
  description = "CloudWatch log group of the API's access log: one JSON line per request, whose integrationRequestId is the Lambda request id of the function's log lines for that request."
  value       = aws_cloudwatch_log_group.access.name
}

output "function_url" {
  description = "response_streaming: URL of the function URL on the alias, which streams responses (RESPONSE_STREAM), with a trailing slash. null without response_streaming."
  value       = local.function_url
}

output "function_url_authorization" {
  description = "response_streaming: how the function URL authenticates callers: AWS_IAM (SigV4 for the lambda service; with JWT too, as function URLs have no JWT authorizer) or NONE. null without response_streaming."
  value       = var.response_streaming ? local.function_url_authorization : null
}

output "function_url_curl" {
  description = "response_streaming: a curl command that reads a streamed response from the function URL as it arrives (--no-buffer), signed with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from the environment unless the URL's authorization is NONE. null without response_streaming."
  value       = local.function_url == null ? null : "curl --no-buffer ${local.function_url_curl_auth_options}'${local.function_url}'"
}

output "schedule_arns" {
  description = "ARNs of the EventBridge Scheduler schedules that run the app's commands, by key of schedules."
  value       = { for key, schedule in aws_scheduler_schedule.this : key => schedule.arn }
}

output "schedule_group_name" {
  description = "Name of the schedule group that holds the function's schedules (the schedule names are the keys of schedules). null without schedules."
  value       = one(aws_scheduler_schedule_group.this[*].name)
}

output "scheduler_role_arn" {
  description = "ARN of the role EventBridge Scheduler invokes the alias with (lambda:InvokeFunction on the alias only). null without schedules."
  value       = one(aws_iam_role.scheduler[*].arn)
}
