variable "region" {
  description = "AWS region to deploy into, e.g. eu-west-1."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as us-east-1 or eu-central-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (table, function, layer, role, API, log groups). Changing it replaces everything, the table included."
  type        = string
  default     = "flask-users"

  validation {
    # The longest derived name, the role "<prefix>-api-role", must stay within IAM's 64 characters.
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "tags" {
  description = "Extra tags for every resource (a Project tag with the name prefix is always added)."
  type        = map(string)
  default     = {}
}

variable "architecture" {
  description = "Instruction set of the function and the layer. The layer must be built for the same one (./build.sh package builds for arm64 unless told otherwise)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "memory_size" {
  description = "Function memory in MB; CPU share grows with it, and so does the price per millisecond."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Function timeout in seconds. API Gateway gives up after 30 s, so a longer timeout would only waste money."
  type        = number
  default     = 10

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 29 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 1 to 29."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the function's logs and the API's access logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "log_level" {
  description = "Lowest level of the function's own log records that reach CloudWatch (Lambda's JSON log format filters by it)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_level)
    error_message = "log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

variable "throttling_burst_limit" {
  description = "Requests the API lets through in a burst before answering 429 (default route)."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_burst_limit >= 0 && var.throttling_burst_limit <= 5000 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number from 0 to 5000."
  }
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second the API accepts before answering 429 (default route)."
  type        = number
  default     = 50

  validation {
    condition     = var.throttling_rate_limit >= 0 && var.throttling_rate_limit <= 10000
    error_message = "throttling_rate_limit must be from 0 to 10000 requests per second."
  }
}

variable "authorization" {
  description = "Who may call the API. AWS_IAM: requests signed with SigV4 by an IAM identity allowed execute-api:Invoke (attach the invoke_policy_arn policy). JWT: requests with a bearer token from the OpenID Connect issuer jwt_issuer (Cognito, Auth0, Okta...). NONE: no check at all, so anyone with the URL can list, change and delete every user; only choose it knowingly."
  type        = string
  default     = "AWS_IAM"
  nullable    = false

  validation {
    condition     = contains(["AWS_IAM", "JWT", "NONE"], var.authorization)
    error_message = "authorization must be AWS_IAM (SigV4-signed requests), JWT (bearer tokens from jwt_issuer) or NONE (an open API: anyone with the URL can list, change and delete every user)."
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
  description = "With authorization = \"JWT\": OAuth scopes per route key, e.g. { \"DELETE /users/{proxy+}\" = [\"users/admin\"] }. A request to such a route needs a token whose scope claim has at least one of them; routes not listed need a valid token only."
  type        = map(list(string))
  default     = {}
  nullable    = false

  validation {
    condition     = length(var.jwt_route_scopes) == 0 || var.authorization == "JWT"
    error_message = "jwt_route_scopes only applies with authorization = \"JWT\"."
  }

  validation {
    condition     = alltrue([for route in keys(var.jwt_route_scopes) : contains(var.routes, route)])
    error_message = "Every key of jwt_route_scopes must be one of the routes, e.g. \"DELETE /users/{proxy+}\"."
  }

  validation {
    condition     = alltrue([for scopes in values(var.jwt_route_scopes) : length(scopes) > 0 && alltrue([for scope in scopes : can(regex("^[!#-\\[\\]-~]+$", scope))])])
    error_message = "Each route in jwt_route_scopes needs at least one scope, and a scope is printable ASCII without spaces, quotes or backslashes (RFC 6749), e.g. users/admin."
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

variable "table_deletion_protection" {
  description = "Refuse to delete the users table. Set to false (and apply) before terraform destroy."
  type        = bool
  default     = true
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

variable "page_token_key" {
  description = "HMAC key (at least 32 characters) that signs the users list's page tokens. null: a random key generated on the first apply and kept in the state. Changing it invalidates tokens already handed out, unless the old key moves to page_token_previous_keys."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.page_token_key == null || try(length(var.page_token_key) >= 32, false)
    error_message = "page_token_key must be null or at least 32 characters long."
  }
}

variable "page_token_previous_keys" {
  description = "Earlier page token keys (each at least 32 characters) that still verify the tokens clients hold, while page_token_key signs new ones (PAGE_TOKEN_PREVIOUS_KEYS). To rotate: move the current key here and set a new page_token_key; drop the old one once its tokens have aged out."
  type        = list(string)
  default     = []
  nullable    = false
  sensitive   = true

  validation {
    condition     = alltrue([for key in var.page_token_previous_keys : length(key) >= 32 && !strcontains(key, ",")])
    error_message = "Every key in page_token_previous_keys must be at least 32 characters long and hold no comma."
  }
}

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
  description = "Lambda SnapStart for the published versions the live alias serves: init runs once per version and new execution environments are restored from its snapshot, so cold starts skip importing Flask. For Python it costs a snapshot cache charge per GB-second for as long as a published version is active, plus a restore charge per GB for every environment restored; docs/snapstart.md says when it pays."
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

variable "live_version" {
  description = "Function version the live alias (and so the API) serves. null: the version this apply publishes. Set it to an earlier version number to roll back."
  type        = string
  default     = null

  validation {
    condition     = var.live_version == null || can(regex("^[1-9][0-9]*$", var.live_version))
    error_message = "live_version must be null or a published version number such as \"3\"."
  }
}

variable "routes" {
  description = "API Gateway route keys sent to the function, \"METHOD /path\" each: the methods and paths api/routes.py serves. Other requests get API Gateway's 404 without invoking the function. Explicit methods (rather than ANY) let API Gateway answer CORS preflight requests itself and give the invoke policy one ARN per route."
  type        = list(string)
  default = [
    "GET /users",
    "POST /users",
    "GET /users/{proxy+}",
    "PATCH /users/{proxy+}",
    "DELETE /users/{proxy+}",
    "GET /openapi.json",
  ]

  validation {
    condition     = length(var.routes) > 0 && alltrue([for route in var.routes : route == "$default" || can(regex("^(ANY|GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) /[^\\s]*$", route))])
    error_message = "Each route must be $default or \"METHOD /path\", e.g. \"GET /users/{id}\" or \"ANY /users/{proxy+}\"."
  }
}

variable "layer_zip" {
  description = "Path of the layer archive. null: dist/layer.zip at the repository root, as ./build.sh package writes it."
  type        = string
  default     = null
}

variable "function_zip" {
  description = "Path of the function archive. null: dist/function.zip at the repository root, as ./build.sh package writes it."
  type        = string
  default     = null
}
