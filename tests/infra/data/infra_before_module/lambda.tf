# Made here, with retention, before the function exists, so Lambda never creates it unmanaged.
resource "aws_cloudwatch_log_group" "function" {
  # checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log data at rest by default; a customer managed KMS key would add a monthly charge.
  # checkov:skip=CKV_AWS_338:Retention is the log_retention_days variable (30 days by default) so that logs of a sample API do not pile up storage costs; raise it where a year is required.
  name              = local.function_log_group_name
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_layer_version" "flask" {
  layer_name               = local.layer_name
  description              = "Flask on Lambda: main.handler, the lambda_wsgi adapter, Flask and its dependencies"
  filename                 = local.layer_zip
  source_code_hash         = fileexists(local.layer_zip) ? filebase64sha256(local.layer_zip) : null
  compatible_runtimes      = [local.runtime]
  compatible_architectures = [var.architecture]

  lifecycle {
    precondition {
      condition     = fileexists(local.layer_zip)
      error_message = "The layer archive ${local.layer_zip} does not exist: run ./build.sh package first."
    }
  }
}

resource "terraform_data" "page_token_key" {
  # A random key without another provider: uuid() draws from a CSPRNG but changes on every run, so
  # the first value is kept (ignore_changes) and later plans see the same key. Rotate it with
  # terraform apply -replace=terraform_data.page_token_key.
  input = sensitive(replace("${uuid()}${uuid()}", "-", ""))

  lifecycle {
    ignore_changes = [input]
  }
}

locals {
  page_token_key = sensitive(var.page_token_key != null ? var.page_token_key : terraform_data.page_token_key.output)

  # Every variable the function code reads (a test compares these names with the code); null
  # values are left out so the layer's own defaults apply.
  function_environment = {
    USERS_TABLE    = aws_dynamodb_table.users.name
    PAGE_TOKEN_KEY = local.page_token_key
    # Keys that still verify the tokens clients hold, after a rotation.
    PAGE_TOKEN_PREVIOUS_KEYS = length(var.page_token_previous_keys) > 0 ? sensitive(join(",", var.page_token_previous_keys)) : null
    LAMBDA_WSGI_APP          = var.wsgi_app
    LAMBDA_WSGI_BASE_PATH    = var.wsgi_base_path
    # The API's access log has a line per request; the layer's own line is off unless asked for.
    LAMBDA_WSGI_ACCESS_LOG = var.function_access_log ? "on" : null
    # Read only under SnapStart: what the layer primes the app with before the snapshot.
    LAMBDA_WSGI_PRIME_PATH = var.snap_start ? var.snapstart_prime_path : null
  }
}

resource "aws_lambda_function" "api" {
  # checkov:skip=CKV_AWS_116:API Gateway invokes the function synchronously and gets the error back; a dead-letter queue only applies to asynchronous invocations.
  # checkov:skip=CKV_AWS_117:The function only talks to public AWS endpoints (DynamoDB, X-Ray, Logs); a VPC would need NAT or endpoints that cost money at rest and slow cold starts.
  # checkov:skip=CKV_AWS_173:Lambda encrypts environment variables at rest with an AWS managed key; a customer managed key would add a monthly charge.
  # checkov:skip=CKV_AWS_272:Code signing needs a signing profile and signed uploads that the build does not produce; integrity comes from source_code_hash of the reproducible zips.
  function_name    = local.function_name
  description      = "Users API: Flask on Lambda"
  role             = aws_iam_role.function.arn
  runtime          = local.runtime
  handler          = local.handler
  architectures    = [var.architecture]
  layers           = [aws_lambda_layer_version.flask.arn]
  filename         = local.function_zip
  source_code_hash = fileexists(local.function_zip) ? filebase64sha256(local.function_zip) : null
  memory_size      = var.memory_size
  timeout          = var.timeout
  publish          = true

  reserved_concurrent_executions = var.reserved_concurrency == null ? -1 : var.reserved_concurrency

  environment {
    variables = { for name, value in local.function_environment : name => value if value != null }
  }

  # Published versions (the live alias serves one) start from a snapshot of their init; $LATEST never does.
  dynamic "snap_start" {
    for_each = var.snap_start ? ["PublishedVersions"] : []
    content {
      apply_on = snap_start.value
    }
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.function.name
    application_log_level = var.log_level
    system_log_level      = "INFO"
  }

  # The role must be able to write logs before the first invocation.
  depends_on = [aws_iam_role_policy.function]

  lifecycle {
    precondition {
      condition     = fileexists(local.function_zip)
      error_message = "The function archive ${local.function_zip} does not exist: run ./build.sh package first."
    }
  }
}

# API Gateway invokes this alias, never $LATEST: a deploy moves it to the new version, a rollback
# moves it back (live_version).
resource "aws_lambda_alias" "live" {
  name             = local.alias_name
  description      = "The version API Gateway serves"
  function_name    = aws_lambda_function.api.function_name
  function_version = coalesce(var.live_version, aws_lambda_function.api.version)
}
