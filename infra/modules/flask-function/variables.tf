# What the function is and where its code comes from.

variable "name" {
  description = "Name of the Lambda function. The other names derive from it unless given: the role <name>-role, the invoke policy <name>-invoke, the log group /aws/lambda/<name>, the layer <name>-layer and the HTTP API <name>."
  type        = string
  nullable    = false

  validation {
    # The longest derived name, the role "<name>-role", must stay within IAM's 64 characters.
    condition     = can(regex("^[A-Za-z0-9_-]{1,59}$", var.name))
    error_message = "name must be 1-59 letters, digits, hyphens or underscores (the role <name>-role must fit IAM's 64 characters)."
  }
}

variable "description" {
  description = "Description of the function and of its HTTP API."
  type        = string
  default     = "Flask on Lambda"
  nullable    = false

  validation {
    condition     = length(var.description) <= 256
    error_message = "description must be at most 256 characters (Lambda's limit)."
  }
}

variable "function_zip" {
  description = "Path of the function's archive: the Flask code (routes.py with a Blueprint or app, and what it imports) at the root of the zip."
  type        = string
  nullable    = false

  validation {
    condition     = endswith(var.function_zip, ".zip")
    error_message = "function_zip must be the path of a .zip archive."
  }
}

variable "layer_zip" {
  description = "Path of the layer's archive (python-lambda-layer packaged: main.handler, lambda_wsgi, Flask); the module publishes a layer version from it. Exactly one of layer_zip and layer_arn must be set."
  type        = string
  default     = null

  validation {
    condition     = (var.layer_zip == null) != (var.layer_arn == null)
    error_message = "Exactly one of layer_zip (an archive to publish as a new layer version) and layer_arn (a layer version published already) must be set."
  }

  validation {
    condition     = var.layer_zip == null || try(endswith(var.layer_zip, ".zip"), false)
    error_message = "layer_zip must be the path of a .zip archive."
  }
}

variable "layer_arn" {
  description = "ARN of a layer version published already (with its version number), instead of layer_zip; it must be built for the same architecture and Python. Exactly one of layer_zip and layer_arn must be set."
  type        = string
  default     = null

  validation {
    condition     = var.layer_arn == null || can(regex("^arn:[a-z-]+:lambda:[a-z0-9-]+:[0-9]{12}:layer:[A-Za-z0-9_-]+:[0-9]+$", var.layer_arn))
    error_message = "layer_arn must be the ARN of a layer version, ending in :layer:<name>:<version>."
  }
}

variable "layer_name" {
  description = "Name of the layer the module publishes from layer_zip. null: <name>-layer."
  type        = string
  default     = null

  validation {
    condition     = var.layer_name == null || can(regex("^[A-Za-z0-9_-]{1,64}$", var.layer_name))
    error_message = "layer_name must be null or 1-64 letters, digits, hyphens or underscores."
  }
}

variable "alias_name" {
  description = "Name of the alias API Gateway invokes; every apply moves it to the version it publishes (or to live_version)."
  type        = string
  default     = "live"
  nullable    = false

  validation {
    # An alias name that is all digits would read as a version number.
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.alias_name)) && !can(regex("^[0-9]+$", var.alias_name))
    error_message = "alias_name must be 1-128 letters, digits, hyphens or underscores, and not only digits (that would be a version number)."
  }
}

variable "live_version" {
  description = "Function version the alias (and so the API) serves. null: the version this apply publishes. Set it to an earlier version number to roll back."
  type        = string
  default     = null

  validation {
    condition     = var.live_version == null || can(regex("^[1-9][0-9]*$", var.live_version))
    error_message = "live_version must be null or a published version number such as \"3\"."
  }
}

# How the function runs.

variable "architecture" {
  description = "Instruction set of the function and the layer; the layer must be built for it."
  type        = string
  default     = "arm64"
  nullable    = false

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_size" {
  description = "Function memory in MB; CPU share grows with it, and so does the price per millisecond."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Function timeout in seconds. The HTTP API gives up after 30 s, so without response_streaming a longer timeout would only waste money; with it, up to 900 s, for streams through the function URL (the HTTP API still answers 503 after 30 s)."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.timeout >= 1 && var.timeout <= (var.response_streaming ? 900 : 29) && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 1 to 29, or to 900 with response_streaming (only a streaming function URL waits longer than 30 s)."
  }
}

variable "reserved_concurrency" {
  description = "Concurrent executions reserved for (and capped at) the function. null: no reservation, the account's shared pool is used. New accounts often cannot reserve any (AWS keeps 10 unreserved)."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrency == null || try(var.reserved_concurrency >= 1 && floor(var.reserved_concurrency) == var.reserved_concurrency, false)
    error_message = "reserved_concurrency must be null or a whole number of at least 1 (0 would stop the function from running at all)."
  }
}

variable "environment" {
  description = "Environment variables of the function's own code, e.g. { TABLE = \"orders\" }; null values are left out. The layer's settings have variables of their own (wsgi_app, wsgi_base_path, function_access_log, snapstart_prime_path, response_streaming)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for name in keys(var.environment) : can(regex("^[A-Za-z][A-Za-z0-9_]*$", name))])
    error_message = "Each environment variable name must start with a letter and hold only letters, digits and underscores."
  }

  validation {
    # Lambda refuses the names it sets itself; the layer's settings have typed variables.
    condition     = !anytrue([for name in keys(var.environment) : startswith(name, "AWS_") || startswith(name, "LAMBDA_WSGI_") || contains(["_HANDLER", "_X_AMZN_TRACE_ID", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ"], name)])
    error_message = "environment must not set AWS_*, _HANDLER, _X_AMZN_TRACE_ID, LAMBDA_TASK_ROOT, LAMBDA_RUNTIME_DIR or TZ (Lambda sets those), nor LAMBDA_WSGI_* (use wsgi_app, wsgi_base_path, function_access_log, snapstart_prime_path and response_streaming)."
  }
}

variable "policy_statements" {
  description = "IAM policy statements for what the function's code calls (DynamoDB, S3, ...), added to the role's own: its log group and X-Ray. Each has actions, resources, and optionally a sid, an effect (Allow by default) and conditions ({ test, variable, values })."
  type = list(object({
    sid       = optional(string)
    effect    = optional(string, "Allow")
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for statement in var.policy_statements : length(statement.actions) > 0 && alltrue([for action in statement.actions : can(regex("^[a-z0-9-]+:[A-Za-z0-9*]+$", action))])])
    error_message = "Each policy statement needs at least one action, each of the form service:Action, e.g. dynamodb:GetItem."
  }

  validation {
    condition     = alltrue([for statement in var.policy_statements : length(statement.resources) > 0])
    error_message = "Each policy statement needs at least one resource (an ARN, or \"*\" for actions without resource-level permissions)."
  }

  validation {
    condition     = alltrue([for statement in var.policy_statements : contains(["Allow", "Deny"], statement.effect)])
    error_message = "The effect of a policy statement must be Allow or Deny."
  }

  validation {
    condition = alltrue([
      for statement in var.policy_statements : statement.sid == null || try(can(regex("^[A-Za-z0-9]+$", statement.sid)) && !contains(["OwnLogGroup", "Traces"], statement.sid), false)
    ])
    error_message = "A policy statement's sid must be letters and digits only, and not OwnLogGroup or Traces (the role's own statements)."
  }

  validation {
    condition     = length(compact([for statement in var.policy_statements : statement.sid])) == length(distinct(compact([for statement in var.policy_statements : statement.sid])))
    error_message = "The sids of the policy statements must differ from each other."
  }
}

# The layer's settings (python-lambda-layer/lambda_wsgi/settings.py).

variable "wsgi_app" {
  description = "What the layer serves, as module:attribute (LAMBDA_WSGI_APP). null: the layer's default, routes:routes."
  type        = string
  default     = null

  validation {
    condition     = var.wsgi_app == null || can(regex("^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_.]*$", var.wsgi_app))
    error_message = "wsgi_app must be null or of the form module:attribute, e.g. routes:routes."
  }
}

variable "wsgi_base_path" {
  description = "Path prefix the layer strips before routing, e.g. /v1 behind a custom domain mapping (LAMBDA_WSGI_BASE_PATH). null: none."
  type        = string
  default     = null

  validation {
    condition     = var.wsgi_base_path == null || can(regex("^/[^\\s]*[^/\\s]$", var.wsgi_base_path))
    error_message = "wsgi_base_path must be null or a path that starts with / and does not end with one, e.g. /v1."
  }
}

variable "function_access_log" {
  description = "Whether the function also logs its own JSON access line per request (sets LAMBDA_WSGI_ACCESS_LOG=on; false leaves it unset, and the layer's default is off). The API's access log always has every request, with the Lambda request id that finds the function's log lines for it."
  type        = bool
  default     = false
  nullable    = false
}

variable "snap_start" {
  description = "Lambda SnapStart for the published versions the alias serves: init runs once per version and new execution environments are restored from its snapshot, so cold starts skip importing Flask. For Python it costs a snapshot cache charge per GB-second for as long as a published version is active, plus a restore charge per GB for every environment restored."
  type        = bool
  default     = false
  nullable    = false
}

variable "snapstart_prime_path" {
  description = "Under SnapStart, the path of the GET request the layer sends through the app before the snapshot (LAMBDA_WSGI_PRIME_PATH). null: the layer's default, which reaches Flask's routing only; \"off\" leaves priming out. Name a route only if it has no side effects."
  type        = string
  default     = null

  validation {
    condition     = var.snapstart_prime_path == null || try(var.snapstart_prime_path == "off" || startswith(var.snapstart_prime_path, "/"), false)
    error_message = "snapstart_prime_path must be a path starting with / (such as /health), or \"off\"."
  }
}

variable "response_streaming" {
  description = "A function URL on the alias that streams responses as the app writes them (invoke mode RESPONSE_STREAM), beside the HTTP API, which buffers them; sets AWS_LAMBDA_EXEC_WRAPPER to the layer's runtime loop and LAMBDA_WSGI_STREAM=function-url. Function URLs have no JWT authorizer: with authorization = \"JWT\" (or AWS_IAM) the URL takes SigV4-signed requests only (AWS_IAM: callers need lambda:InvokeFunctionUrl and lambda:InvokeFunction on the alias); with NONE it is public like the API, see the README for the lambda:InvokeFunction statement it also needs."
  type        = bool
  default     = false
  nullable    = false
}

# Commands run on a schedule.

variable "schedules" {
  description = "Flask CLI commands of the app run on a schedule by EventBridge Scheduler, by key: expression (rate(...), cron(...) or at(...)), command (the words after `flask`, e.g. [\"users\", \"count\"]), timezone of a cron or at expression (UTC by default), enabled (true by default), description. Each invokes the alias with {\"flask-lambda\": {\"command\": [...], \"failOnError\": true}}, so a command that fails is a function error: Lambda retries it and it counts in the Errors metric."
  type = map(object({
    expression  = string
    command     = list(string)
    timezone    = optional(string, "UTC")
    enabled     = optional(bool, true)
    description = optional(string)
  }))
  default  = {}
  nullable = false

  validation {
    # The key names the schedule in the function's schedule group: EventBridge Scheduler's name rules.
    condition     = alltrue([for key in keys(var.schedules) : can(regex("^[0-9A-Za-z_.-]{1,64}$", key))])
    error_message = "Each key of schedules must be 1-64 letters, digits, hyphens, underscores or dots, e.g. nightly-count."
  }

  validation {
    condition     = alltrue([for schedule in values(var.schedules) : can(regex("^(rate|cron|at)\\(.+\\)$", schedule.expression))])
    error_message = "Each schedule's expression must be rate(...), cron(...) or at(...), e.g. rate(1 hour), cron(0 3 * * ? *) or at(2030-01-01T00:00:00)."
  }

  validation {
    condition     = alltrue([for schedule in values(var.schedules) : length(schedule.command) > 0 && alltrue([for word in schedule.command : trimspace(word) != ""])])
    error_message = "Each schedule's command must list at least one word, none of them empty, e.g. [\"users\", \"count\"]."
  }

  validation {
    condition     = alltrue([for schedule in values(var.schedules) : schedule.timezone != null && try(can(regex("^[A-Za-z0-9_+/-]{1,50}$", schedule.timezone)), false)])
    error_message = "Each schedule's timezone must be a time zone name such as UTC or Europe/Paris."
  }

  validation {
    condition     = alltrue([for schedule in values(var.schedules) : schedule.enabled != null && try(length(schedule.description) <= 512, schedule.description == null)])
    error_message = "Each schedule's enabled must be true or false, and its description at most 512 characters."
  }
}

# The HTTP API in front of it.

variable "api_name" {
  description = "Name of the HTTP API; its access log group is /aws/apigateway/<api_name>/access and its JWT authorizer <api_name>-jwt. null: the function's name."
  type        = string
  default     = null

  validation {
    condition     = var.api_name == null || can(regex("^[A-Za-z0-9_-]{1,120}$", var.api_name))
    error_message = "api_name must be null or 1-120 letters, digits, hyphens or underscores."
  }
}

variable "routes" {
  description = "API Gateway route keys sent to the function: \"METHOD /path\" each (e.g. \"GET /items/{id}\", \"ANY /items/{proxy+}\"), or $default for every request. Other requests get API Gateway's 404 without invoking the function. Explicit methods (rather than ANY) let API Gateway answer CORS preflight requests itself and give the invoke policy one ARN per route."
  type        = list(string)
  default     = ["$default"]
  nullable    = false

  validation {
    condition     = length(var.routes) > 0 && alltrue([for route in var.routes : route == "$default" || can(regex("^(ANY|GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /[^\\s]*$", route))])
    error_message = "Each route must be $default or \"METHOD /path\", e.g. \"GET /items/{id}\" or \"ANY /items/{proxy+}\", and there must be at least one."
  }

  validation {
    condition     = length(distinct(var.routes)) == length(var.routes)
    error_message = "Each route must be listed once."
  }
}

variable "authorization" {
  description = "Who may call the API. AWS_IAM: requests signed with SigV4 by an IAM identity allowed execute-api:Invoke (attach the invoke_policy_arn policy). JWT: requests with a bearer token from the OpenID Connect issuer jwt_issuer (Cognito, Auth0, Okta...). NONE: no check at all, so anyone with the URL can call every route; only choose it knowingly."
  type        = string
  default     = "AWS_IAM"
  nullable    = false

  validation {
    condition     = contains(["AWS_IAM", "JWT", "NONE"], var.authorization)
    error_message = "authorization must be AWS_IAM (SigV4-signed requests), JWT (bearer tokens from jwt_issuer) or NONE (an open API: anyone with the URL can call every route)."
  }
}

variable "jwt_issuer" {
  description = "With authorization = \"JWT\": the issuer of the tokens, exactly their iss claim, e.g. https://cognito-idp.<region>.amazonaws.com/<user pool id> or https://<tenant>.auth0.com/. API Gateway finds its signing keys through <issuer>/.well-known/openid-configuration. null otherwise."
  type        = string
  default     = null

  validation {
    condition     = var.authorization == "JWT" ? var.jwt_issuer != null : var.jwt_issuer == null
    error_message = "jwt_issuer is required with authorization = \"JWT\" (the https:// URL in the tokens' iss claim) and must be null otherwise."
  }

  validation {
    condition     = var.jwt_issuer == null || can(regex("^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s?#]*)?$", var.jwt_issuer))
    error_message = "jwt_issuer must be an https:// URL without query or fragment, e.g. https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123: API Gateway only fetches signing keys over HTTPS."
  }
}

variable "jwt_audience" {
  description = "With authorization = \"JWT\": the audiences a token may be for; its aud claim (or, without one, its client_id claim, as in Cognito access tokens) must be one of them. For Cognito: the app client id. Empty otherwise."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = var.authorization == "JWT" ? length(var.jwt_audience) > 0 && alltrue([for audience in var.jwt_audience : trimspace(audience) == audience && audience != ""]) : length(var.jwt_audience) == 0
    error_message = "jwt_audience must list at least one audience (no empty or space-padded entries) with authorization = \"JWT\", for Cognito the app client id, and must be empty otherwise."
  }
}

variable "jwt_route_scopes" {
  description = "With authorization = \"JWT\": OAuth scopes per route key, e.g. { \"DELETE /items/{proxy+}\" = [\"items/admin\"] }. A request to such a route needs a token whose scope claim has at least one of them; routes not listed need a valid token only."
  type        = map(list(string))
  default     = {}
  nullable    = false

  validation {
    condition     = length(var.jwt_route_scopes) == 0 || var.authorization == "JWT"
    error_message = "jwt_route_scopes only applies with authorization = \"JWT\"."
  }

  validation {
    condition     = alltrue([for route in keys(var.jwt_route_scopes) : contains(var.routes, route)])
    error_message = "Every key of jwt_route_scopes must be one of the routes, e.g. \"DELETE /items/{proxy+}\"."
  }

  validation {
    condition     = alltrue([for scopes in values(var.jwt_route_scopes) : length(scopes) > 0 && alltrue([for scope in scopes : can(regex("^[!#-\\[\\]-~]+$", scope))])])
    error_message = "Each route in jwt_route_scopes needs at least one scope, and a scope is printable ASCII without spaces, quotes or backslashes (RFC 6749), e.g. items/admin."
  }
}

variable "cors_allow_origins" {
  description = "Browser origins allowed to call the API, e.g. [\"https://app.example.com\"], or [\"*\"] for any. Empty: no CORS configuration and no CORS headers, so only non-browser clients and same-origin pages can use it. With origins, API Gateway itself answers the browsers' preflight requests, so routes must name their methods (no ANY, OPTIONS or $default routes)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for origin in var.cors_allow_origins : origin == "*" || can(regex("^https://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$", origin)) || can(regex("^http://(localhost|127\\.0\\.0\\.1)(:[0-9]{1,5})?$", origin))])
    error_message = "Each CORS origin must be a lowercase https:// scheme and host (and port) without a path or trailing slash, such as https://app.example.com, http://localhost:3000 for local development, or \"*\"."
  }

  validation {
    condition     = !contains(var.cors_allow_origins, "*") || length(var.cors_allow_origins) == 1
    error_message = "\"*\" allows every origin, so it must be the only entry of cors_allow_origins."
  }

  validation {
    # An ANY, OPTIONS or $default route also matches the preflight OPTIONS request, which browsers send without
    # credentials: an authorizer would refuse it, and the function would answer 405.
    condition     = length(var.cors_allow_origins) == 0 || alltrue([for route in var.routes : can(regex("^(GET|HEAD|POST|PUT|PATCH|DELETE) ", route))])
    error_message = "With cors_allow_origins set, every route must name its method (GET, HEAD, POST, PUT, PATCH or DELETE): an ANY, OPTIONS or $default route would catch the browsers' preflight OPTIONS requests that API Gateway answers itself."
  }
}

variable "cors_expose_headers" {
  description = "With cors_allow_origins: the response headers, beyond the CORS-safelisted ones, that browser code may read, e.g. [\"location\"]."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for header in var.cors_expose_headers : can(regex("^[a-z0-9!#$%&'*+.^_`|~-]+$", header))])
    error_message = "Each header in cors_expose_headers must be a lowercase header name, e.g. location."
  }
}

variable "throttling_burst_limit" {
  description = "Requests the API lets through in a burst before answering 429 (default route settings)."
  type        = number
  default     = 100
  nullable    = false

  validation {
    condition     = var.throttling_burst_limit >= 0 && var.throttling_burst_limit <= 5000 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number from 0 to 5000."
  }
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second the API accepts before answering 429 (default route settings)."
  type        = number
  default     = 50
  nullable    = false

  validation {
    condition     = var.throttling_rate_limit >= 0 && var.throttling_rate_limit <= 10000
    error_message = "throttling_rate_limit must be from 0 to 10000 requests per second."
  }
}

# Logs and tags.

variable "log_retention_days" {
  description = "Days CloudWatch keeps the function's logs and the API's access logs."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "log_level" {
  description = "Lowest level of the function's own log records that reach CloudWatch (Lambda's JSON log format filters by it)."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_level)
    error_message = "log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

variable "tags" {
  description = "Tags for every resource of the module that takes tags (the provider's default_tags apply as well)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for key, value in var.tags : length(key) >= 1 && length(key) <= 128 && length(value) <= 256 && !startswith(key, "aws:")])
    error_message = "Tag keys must be 1-128 characters and not start with aws:, tag values at most 256 characters."
  }
}
