# The deployment's settings. Those it passes on to modules/flask-function unchanged are validated there, so a bad
# value is refused once, with the module's message; the rest (region, names, the page token keys) are validated here.

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
}

variable "memory_size" {
  description = "Function memory in MB; CPU share grows with it, and so does the price per millisecond."
  type        = number
  default     = 256
}

variable "timeout" {
  description = "Function timeout in seconds: at most 29 (the HTTP API gives up after 30 s), or 900 with response_streaming."
  type        = number
  default     = 10
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the function's logs and the API's access logs."
  type        = number
  default     = 30
}

variable "log_level" {
  description = "Lowest level of the function's own log records that reach CloudWatch (Lambda's JSON log format filters by it)."
  type        = string
  default     = "INFO"
}

variable "throttling_burst_limit" {
  description = "Requests the API lets through in a burst before answering 429 (default route)."
  type        = number
  default     = 100
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second the API accepts before answering 429 (default route)."
  type        = number
  default     = 50
}

variable "authorization" {
  description = "Who may call the API. AWS_IAM: requests signed with SigV4 by an IAM identity allowed execute-api:Invoke (attach the invoke_policy_arn policy). JWT: requests with a bearer token from the OpenID Connect issuer jwt_issuer (Cognito, Auth0, Okta...). NONE: no check at all, so anyone with the URL can list, change and delete every user; only choose it knowingly."
  type        = string
  default     = "AWS_IAM"
  nullable    = false
}

variable "jwt_issuer" {
  description = "With authorization = \"JWT\": the issuer of the tokens, exactly their iss claim, e.g. https://cognito-idp.<region>.amazonaws.com/<user pool id> or https://<tenant>.auth0.com/. API Gateway finds its signing keys through <issuer>/.well-known/openid-configuration. null otherwise."
  type        = string
  default     = null
}

variable "jwt_audience" {
  description = "With authorization = \"JWT\": the audiences a token may be for; its aud claim (or, without one, its client_id claim, as in Cognito access tokens) must be one of them. For Cognito: the app client id. Empty otherwise."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "jwt_route_scopes" {
  description = "With authorization = \"JWT\": OAuth scopes per route key, e.g. { \"DELETE /users/{proxy+}\" = [\"users/admin\"] }. A request to such a route needs a token whose scope claim has at least one of them; routes not listed need a valid token only."
  type        = map(list(string))
  default     = {}
  nullable    = false
}

variable "cors_allow_origins" {
  description = "Browser origins allowed to call the API, e.g. [\"https://app.example.com\"], or [\"*\"] for any. Empty: no CORS configuration and no CORS headers, so only non-browser clients and same-origin pages can use it. With origins, API Gateway itself answers the browsers' preflight requests, so routes must name their methods (no ANY, OPTIONS or $default routes)."
  type        = list(string)
  default     = []
  nullable    = false
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
}

variable "wsgi_base_path" {
  description = "Path prefix the layer strips before routing, e.g. /v1 behind a custom domain mapping (LAMBDA_WSGI_BASE_PATH). null: none."
  type        = string
  default     = null
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
}

variable "response_streaming" {
  description = "A function URL on the live alias that streams responses as the app writes them (RESPONSE_STREAM), beside the HTTP API. Signed with SigV4 for the lambda service unless authorization is NONE (function URLs have no JWT authorizer, so with JWT it takes SigV4 too); see the module's README."
  type        = bool
  default     = false
  nullable    = false
}

variable "schedules" {
  description = "Flask CLI commands of the users API run on a schedule by EventBridge Scheduler, by key: expression (rate(...), cron(...) or at(...)), command (the words after `flask`, e.g. [\"users\", \"count\"]), and optionally timezone (UTC), enabled (true) and description. A command that fails is a function error, retried by Lambda."
  type = map(object({
    expression  = string
    command     = list(string)
    timezone    = optional(string, "UTC")
    enabled     = optional(bool, true)
    description = optional(string)
  }))
  default  = {}
  nullable = false
}

variable "live_version" {
  description = "Function version the live alias (and so the API) serves. null: the version this apply publishes. Set it to an earlier version number to roll back."
  type        = string
  default     = null
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

variable "users_trusted_callers" {
  description = "Whether every caller may change or delete any user (a service calling on its own behalf). Null (the default) trusts callers behind AWS_IAM authorization, each a principal granted the invoke policy, and nobody else: behind JWT only a user's creator, or a token with the administrator scope, may change it."
  type        = bool
  default     = null
}

variable "users_admin_scope" {
  description = "The JWT scope that lets a caller change or delete any user; an empty string gives no scope that power."
  type        = string
  default     = "users:admin"
  nullable    = false
}
