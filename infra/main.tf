locals {
  function_name = "${var.name_prefix}-api"
  table_name    = var.name_prefix

  layer_zip    = coalesce(var.layer_zip, "${path.module}/../dist/layer.zip")
  function_zip = coalesce(var.function_zip, "${path.module}/../dist/function.zip")

  # Every variable the users API's code reads (a test compares these names with the code); null values are left
  # out by the module, and the layer's own settings are variables of the module.
  function_environment = {
    USERS_TABLE    = aws_dynamodb_table.users.name
    PAGE_TOKEN_KEY = local.page_token_key
    # Keys that still verify the tokens clients hold, after a rotation.
    PAGE_TOKEN_PREVIOUS_KEYS = length(var.page_token_previous_keys) > 0 ? sensitive(join(",", var.page_token_previous_keys)) : null
    # Who may change or delete a user (docs/users-api.md): behind AWS_IAM every caller is a service or operator
    # granted the invoke policy, so each is trusted; behind JWT only the user's creator or an administrator.
    USERS_TRUSTED_CALLERS = coalesce(var.users_trusted_callers, var.authorization == "AWS_IAM") ? "true" : "false"
    USERS_ADMIN_SCOPE     = var.users_admin_scope
  }
}

# The layer, the users API's function behind its live alias, the HTTP API with the routes api/routes.py serves, the
# function's role (its logs, X-Ray and the users table) and both log groups.
module "function" {
  source = "./modules/flask-function"

  name         = local.function_name
  description  = "Users API: Flask on Lambda"
  function_zip = local.function_zip
  layer_zip    = local.layer_zip
  layer_name   = "${var.name_prefix}-flask-layer"
  api_name     = "${var.name_prefix}-http"
  live_version = var.live_version

  architecture         = var.architecture
  memory_size          = var.memory_size
  timeout              = var.timeout
  reserved_concurrency = var.reserved_concurrency
  environment          = local.function_environment
  policy_statements    = local.table_policy_statements

  wsgi_app             = var.wsgi_app
  wsgi_base_path       = var.wsgi_base_path
  function_access_log  = var.function_access_log
  snap_start           = var.snap_start
  snapstart_prime_path = var.snapstart_prime_path
  response_streaming   = var.response_streaming
  schedules            = var.schedules

  routes             = var.routes
  authorization      = var.authorization
  jwt_issuer         = var.jwt_issuer
  jwt_audience       = var.jwt_audience
  jwt_route_scopes   = var.jwt_route_scopes
  cors_allow_origins = var.cors_allow_origins
  # The response headers of api/openapi.json beyond the CORS-safelisted ones: Location of a new user, Retry-After
  # of a 503.
  cors_expose_headers    = ["location", "retry-after"]
  throttling_burst_limit = var.throttling_burst_limit
  throttling_rate_limit  = var.throttling_rate_limit

  log_retention_days = var.log_retention_days
  log_level          = var.log_level
}
