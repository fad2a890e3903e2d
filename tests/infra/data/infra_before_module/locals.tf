locals {
  # The layer's entry point (python-lambda-layer/main.py) and the Python ./build.sh package
  # builds for; tests check both against the code.
  runtime = "python3.13"
  handler = "main.handler"

  function_name   = "${var.name_prefix}-api"
  table_name      = var.name_prefix
  layer_name      = "${var.name_prefix}-flask-layer"
  role_name       = "${var.name_prefix}-api-role"
  api_name        = "${var.name_prefix}-http"
  authorizer_name = "${var.name_prefix}-jwt"
  # The IAM policy that lets its holder call the API (authorization = "AWS_IAM").
  invoke_policy_name = "${var.name_prefix}-api-invoke"
  alias_name         = "live"
  # The stage that serves at the API's root URL; execute-api ARNs name it too.
  stage_name      = "$default"
  access_log_name = "/aws/apigateway/${var.name_prefix}-http/access"
  # Lambda writes to /aws/lambda/<function name> unless told otherwise; the function's
  # logging_config names this group too, so both agree.
  function_log_group_name = "/aws/lambda/${local.function_name}"

  layer_zip    = coalesce(var.layer_zip, "${path.module}/../dist/layer.zip")
  function_zip = coalesce(var.function_zip, "${path.module}/../dist/function.zip")
}
