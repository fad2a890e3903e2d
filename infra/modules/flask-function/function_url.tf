locals {
  # A function URL has no JWT authorizer: with JWT, the URL asks for SigV4 (AWS_IAM) rather than open the function
  # to anyone who has the URL. NONE stays NONE: the API is open already, and the URL is as open as the API.
  function_url_authorization = var.authorization == "NONE" ? "NONE" : "AWS_IAM"

  # The CORS headers a browser may send to the URL: the body's media type and, with AWS_IAM, SigV4's Authorization
  # header with the headers it signs.
  function_url_cors_allow_headers = concat(
    ["content-type"],
    local.function_url_authorization == "AWS_IAM" ? ["authorization", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"] : [],
  )
}

# The alias (what the API invokes) behind a URL that streams the response as the app writes it
# (RESPONSE_STREAM), past the HTTP API's buffered 6 MB and 30 s.
resource "aws_lambda_function_url" "this" {
  count = var.response_streaming ? 1 : 0

  function_name      = aws_lambda_function.this.function_name
  qualifier          = aws_lambda_alias.this.name
  authorization_type = local.function_url_authorization
  invoke_mode        = "RESPONSE_STREAM"

  # The HTTP API's CORS setting, mirrored: no origins, no block.
  dynamic "cors" {
    for_each = length(var.cors_allow_origins) > 0 ? [var.cors_allow_origins] : []

    content {
      allow_origins  = cors.value
      allow_methods  = local.cors_allow_methods
      allow_headers  = local.function_url_cors_allow_headers
      expose_headers = var.cors_expose_headers
      max_age        = local.cors_max_age_seconds
    }
  }
}

# NONE: anyone may call the URL (and only the URL: the condition is lambda:FunctionUrlAuthType = NONE).
#
# Function URLs created from October 2025 also need lambda:InvokeFunction, granted on the condition
# lambda:InvokedViaFunctionUrl = true; the 5.x provider cannot state that condition, and the same statement without
# it would let anyone invoke the alias directly with any event (a scheduled command among them). The module leaves
# that statement out; the README says how to add it.
resource "aws_lambda_permission" "function_url_public" {
  count = var.response_streaming && local.function_url_authorization == "NONE" ? 1 : 0

  statement_id           = "AllowPublicFunctionUrl"
  action                 = "lambda:InvokeFunctionUrl"
  function_name          = aws_lambda_function.this.function_name
  qualifier              = aws_lambda_alias.this.name
  principal              = "*"
  function_url_auth_type = "NONE"
}
