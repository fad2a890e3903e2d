# Built from layer_zip, unless the function uses a layer published elsewhere (layer_arn).
resource "aws_lambda_layer_version" "this" {
  count = var.layer_zip != null ? 1 : 0

  layer_name               = local.layer_name
  description              = "Flask on Lambda: main.handler, the lambda_wsgi adapter, Flask and its dependencies"
  filename                 = var.layer_zip
  source_code_hash         = fileexists(var.layer_zip) ? filebase64sha256(var.layer_zip) : null
  compatible_runtimes      = [local.runtime]
  compatible_architectures = [var.architecture]

  lifecycle {
    precondition {
      condition     = fileexists(var.layer_zip)
      error_message = "The layer archive ${var.layer_zip} does not exist: build it first (./build.sh package writes dist/layer.zip)."
    }
  }
}

locals {
  layer_arn = var.layer_zip != null ? aws_lambda_layer_version.this[0].arn : var.layer_arn

  # The layer's own settings (python-lambda-layer/lambda_wsgi/settings.py); a null one is left out, so the
  # layer's default applies.
  layer_settings = {
    LAMBDA_WSGI_APP       = var.wsgi_app
    LAMBDA_WSGI_BASE_PATH = var.wsgi_base_path
    # The API's access log has a line per request; the layer's own line is off unless asked for.
    LAMBDA_WSGI_ACCESS_LOG = var.function_access_log ? "on" : null
    # Read only under SnapStart: what the layer primes the app with before the snapshot.
    LAMBDA_WSGI_PRIME_PATH = var.snap_start ? var.snapstart_prime_path : null
    # The event kinds answered with a stream: the function URL's (RESPONSE_STREAM).
    LAMBDA_WSGI_STREAM = var.response_streaming ? "function-url" : null
  }

  # Lambda's own variables the module sets: a stream needs the layer's runtime loop (EXEC_WRAPPER of the layer's
  # settings), which Lambda starts in place of its own.
  lambda_settings = {
    AWS_LAMBDA_EXEC_WRAPPER = var.response_streaming ? "/opt/flask-lambda-runtime" : null
  }

  # The caller's variables, the layer's settings and Lambda's, without the null ones.
  function_environment = { for name, value in merge(merge(var.environment, local.layer_settings), local.lambda_settings) : name => value if value != null }
  # Whether there is any variable at all. A sensitive value among the caller's makes the map, and so its length,
  # sensitive; how many variables there are is not a secret, and a dynamic block cannot count sensitive values.
  has_environment = nonsensitive(sensitive(length(local.function_environment) > 0))
}

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_116:API Gateway invokes the function synchronously and gets the error back; a dead-letter queue only applies to asynchronous invocations.
  # checkov:skip=CKV_AWS_117:The function only talks to public AWS endpoints; a VPC would need NAT or endpoints that cost money at rest and slow cold starts.
  # checkov:skip=CKV_AWS_173:Lambda encrypts environment variables at rest with an AWS managed key; a customer managed key would add a monthly charge.
  # checkov:skip=CKV_AWS_272:Code signing needs a signing profile and signed uploads that the build does not produce; integrity comes from source_code_hash of the reproducible zips.
  function_name    = var.name
  description      = var.description
  role             = aws_iam_role.this.arn
  runtime          = local.runtime
  handler          = local.handler
  architectures    = [var.architecture]
  layers           = [local.layer_arn]
  filename         = var.function_zip
  source_code_hash = fileexists(var.function_zip) ? filebase64sha256(var.function_zip) : null
  memory_size      = var.memory_size
  timeout          = var.timeout
  publish          = true

  reserved_concurrent_executions = var.reserved_concurrency == null ? -1 : var.reserved_concurrency

  # No variables, no block: Lambda would otherwise keep an empty environment that plans as a change.
  dynamic "environment" {
    for_each = local.has_environment ? [local.function_environment] : []
    content {
      variables = environment.value
    }
  }

  # Published versions (the alias serves one) start from a snapshot of their init; $LATEST never does.
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

  tags = var.tags

  # The role must be able to write logs before the first invocation.
  depends_on = [aws_iam_role_policy.this]

  lifecycle {
    precondition {
      condition     = fileexists(var.function_zip)
      error_message = "The function archive ${var.function_zip} does not exist: build it first (./build.sh package writes dist/function.zip)."
    }
  }
}

# API Gateway invokes this alias, never $LATEST: a deploy moves it to the new version, a rollback
# moves it back (live_version).
resource "aws_lambda_alias" "this" {
  name             = var.alias_name
  description      = "The version API Gateway serves"
  function_name    = aws_lambda_function.this.function_name
  function_version = coalesce(var.live_version, aws_lambda_function.this.version)
}
