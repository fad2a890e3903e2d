locals {
  # The layer's entry point (python-lambda-layer/main.py) and the Python the layer is built for;
  # tests check both against the code.
  runtime = "python3.13"
  handler = "main.handler"

  layer_name      = coalesce(var.layer_name, "${var.name}-layer")
  role_name       = "${var.name}-role"
  api_name        = coalesce(var.api_name, var.name)
  authorizer_name = "${local.api_name}-jwt"
  # The IAM policy that lets its holder call the API (authorization = "AWS_IAM").
  invoke_policy_name = "${var.name}-invoke"
  # The stage that serves at the API's root URL; execute-api ARNs name it too.
  stage_name      = "$default"
  access_log_name = "/aws/apigateway/${local.api_name}/access"
  # Lambda writes to /aws/lambda/<function name> unless told otherwise; the function's
  # logging_config names this group too, so both agree.
  function_log_group_name = "/aws/lambda/${var.name}"

  # The scheduled commands: a schedule group named after the function, and the role Scheduler invokes the alias with
  # ("-sch" keeps the longest name, 59 characters, within IAM's 64).
  schedule_group_name = var.name
  scheduler_role_name = "${var.name}-sch"
  # How long, and how many more times, Scheduler tries to deliver a run it could not.
  schedule_max_event_age_seconds = 3600
  schedule_max_retry_attempts    = 2
}
