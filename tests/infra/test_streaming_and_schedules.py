"""modules/flask-function's response_streaming (a function URL in RESPONSE_STREAM mode) and schedules (EventBridge
Scheduler running the app's Flask commands): plans offline with each on and off, and refusals (the applies to moto
are test_streaming_and_schedules_applied).
"""

from __future__ import annotations

import json
from typing import Any

from tests.infra.terraform import Offline

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"
JWT = ("-var=authorization=JWT", f"-var=jwt_issuer={ISSUER}", '-var=jwt_audience=["4example0client0id0abcdefgh"]')
STREAMING_ENVIRONMENT = {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/flask-lambda-runtime", "LAMBDA_WSGI_STREAM": "function-url"}
SCHEDULES: dict[str, Any] = {
    "nightly-count": {
        "expression": "cron(0 3 * * ? *)",
        "timezone": "Europe/Paris",
        "command": ["users", "count"],
        "description": "Counts the users every night",
    },
    "hourly-sweep": {"expression": "rate(1 hour)", "command": ["users", "sweep", "--dry-run"], "enabled": False},
}


def _var(name: str, value: Any) -> str:
    return f"-var={name}={json.dumps(value)}"


def _changes(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["address"]: item["change"] for item in plan["resource_changes"] if item["mode"] == "managed"}


def _after(plan: dict[str, Any], address: str) -> dict[str, Any]:
    after: dict[str, Any] = _changes(plan)[address]["after"]
    return after


def _variables(plan: dict[str, Any]) -> dict[str, str]:
    (environment,) = _after(plan, "aws_lambda_function.this")["environment"] or [{"variables": {}}]
    variables: dict[str, str] = environment["variables"]
    return variables


def _expressions(plan: dict[str, Any], address: str) -> dict[str, Any]:
    """The configuration's expressions of `address` (a resource of the root module), with their references."""
    (resource,) = [item for item in plan["configuration"]["root_module"]["resources"] if item["address"] == address]
    expressions: dict[str, Any] = resource["expressions"]
    return expressions


# --- Plans ---------------------------------------------------------------------------------------------------------


def test_without_streaming_or_schedules_nothing_is_added(offline_module: Offline) -> None:
    plan = offline_module.plan()
    addresses = set(_changes(plan))
    assert not [address for address in addresses if "function_url" in address or "scheduler" in address]
    assert "aws_iam_role.scheduler[0]" not in addresses
    assert not set(_variables(plan)) & set(STREAMING_ENVIRONMENT)
    outputs = plan["planned_values"]["outputs"]
    for name in ("function_url", "function_url_curl", "function_url_authorization", "scheduler_role_arn"):
        assert outputs[name]["value"] is None, name
    assert outputs["schedule_arns"]["value"] == {}


def test_streaming_adds_a_streaming_url_on_the_alias_signed_with_sigv4(offline_module: Offline) -> None:
    plan = offline_module.plan("-var=response_streaming=true", '-var=environment={"GREETING" = "hello"}')
    url = _after(plan, "aws_lambda_function_url.this[0]")
    assert (url["qualifier"], url["invoke_mode"], url["authorization_type"]) == ("live", "RESPONSE_STREAM", "AWS_IAM")
    assert url["cors"] == []
    assert _variables(plan) == {"GREETING": "hello", **STREAMING_ENVIRONMENT}
    assert "aws_lambda_permission.function_url_public[0]" not in _changes(plan)
    assert plan["planned_values"]["outputs"]["function_url_authorization"]["value"] == "AWS_IAM"
    # The URL is the alias's, the one the HTTP API invokes.
    references = _expressions(plan, "aws_lambda_function_url.this")["qualifier"]["references"]
    assert "aws_lambda_alias.this.name" in references


def test_a_streaming_function_url_may_run_past_the_http_apis_30_seconds(offline_module: Offline) -> None:
    # Without response_streaming, 300 is refused: see test_module's bad settings.
    plan = offline_module.plan("-var=response_streaming=true", "-var=timeout=900")
    assert _after(plan, "aws_lambda_function.this")["timeout"] == 900


def test_with_jwt_the_url_takes_sigv4_not_tokens(offline_module: Offline) -> None:
    plan = offline_module.plan("-var=response_streaming=true", *JWT)
    assert _after(plan, "aws_lambda_function_url.this[0]")["authorization_type"] == "AWS_IAM"
    assert "aws_lambda_permission.function_url_public[0]" not in _changes(plan)


def test_with_none_the_url_is_public_through_the_url_only(offline_module: Offline) -> None:
    plan = offline_module.plan("-var=response_streaming=true", "-var=authorization=NONE")
    assert _after(plan, "aws_lambda_function_url.this[0]")["authorization_type"] == "NONE"
    permissions = {
        address: change["after"]
        for address, change in _changes(plan).items()
        if address.startswith("aws_lambda_permission.")
    }
    public = permissions.pop("aws_lambda_permission.function_url_public[0]")
    assert public["action"] == "lambda:InvokeFunctionUrl"
    assert (public["principal"], public["function_url_auth_type"], public["qualifier"]) == ("*", "NONE", "live")
    # The HTTP API's own permission is the only other one: nobody else may call lambda:InvokeFunction.
    assert list(permissions) == ["aws_lambda_permission.api_gateway"]
    assert permissions["aws_lambda_permission.api_gateway"]["principal"] == "apigateway.amazonaws.com"


def test_the_url_mirrors_the_apis_cors(offline_module: Offline) -> None:
    plan = offline_module.plan(
        "-var=response_streaming=true",
        '-var=routes=["GET /", "POST /items"]',
        '-var=cors_allow_origins=["https://app.example.com"]',
        '-var=cors_expose_headers=["location"]',
    )
    api_cors = _after(plan, "aws_apigatewayv2_api.this")["cors_configuration"][0]
    (url_cors,) = _after(plan, "aws_lambda_function_url.this[0]")["cors"]
    for key in ("allow_origins", "allow_methods", "expose_headers"):
        assert sorted(url_cors[key]) == sorted(api_cors[key]), key
    assert url_cors["max_age"] == api_cors["max_age"] == 3600
    assert url_cors["allow_origins"] == ["https://app.example.com"]
    assert sorted(url_cors["allow_methods"]) == ["GET", "POST"]
    assert url_cors["expose_headers"] == ["location"]
    assert sorted(url_cors["allow_headers"]) == sorted(
        ["content-type", "authorization", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"]
    )


def test_schedules_invoke_the_alias_with_the_command_event(offline_module: Offline) -> None:
    plan = offline_module.plan(_var("schedules", SCHEDULES))
    changes = _changes(plan)
    assert _after(plan, "aws_scheduler_schedule_group.this[0]")["name"] == "hello"
    assert _after(plan, "aws_iam_role.scheduler[0]")["name"] == "hello-sch"
    for key, schedule in SCHEDULES.items():
        after = changes[f'aws_scheduler_schedule.this["{key}"]']["after"]
        assert (after["name"], after["group_name"]) == (key, "hello")
        assert after["schedule_expression"] == schedule["expression"]
        assert after["schedule_expression_timezone"] == schedule.get("timezone", "UTC")
        assert after["state"] == ("ENABLED" if schedule.get("enabled", True) else "DISABLED")
        assert after["description"] == schedule.get("description")
        assert after["flexible_time_window"] == [{"mode": "OFF", "maximum_window_in_minutes": None}]
        (target,) = after["target"]
        assert json.loads(target["input"]) == {"flask-lambda": {"command": schedule["command"], "failOnError": True}}
        assert target["retry_policy"] == [{"maximum_event_age_in_seconds": 3600, "maximum_retry_attempts": 2}]
        assert target["dead_letter_config"] == []
    (target,) = _expressions(plan, "aws_scheduler_schedule.this")["target"]
    assert "aws_lambda_alias.this.arn" in target["arn"]["references"]
    assert "aws_iam_role.scheduler" in target["role_arn"]["references"]
    # The role may invoke the alias, nothing else.
    document = _expressions(plan, "data.aws_iam_policy_document.scheduler")
    (statement,) = document["statement"]
    assert statement["actions"]["constant_value"] == ["lambda:InvokeFunction"]
    assert statement["resources"]["references"] == ["aws_lambda_alias.this.arn", "aws_lambda_alias.this"]


def test_the_users_api_passes_both_on(offline: Offline) -> None:
    """infra/ hands response_streaming and schedules to the module, and shows their outputs."""
    nightly = {"nightly-count": {"expression": "cron(0 3 * * ? *)", "command": ["users", "count"]}}
    plan = offline.plan("-var=response_streaming=true", _var("schedules", nightly))
    changes = _changes(plan)
    url = changes["module.function.aws_lambda_function_url.this[0]"]["after"]
    assert (url["qualifier"], url["invoke_mode"], url["authorization_type"]) == ("live", "RESPONSE_STREAM", "AWS_IAM")
    # The function's environment is unknown until the page token key exists; the module's plans check it.
    schedule = changes['module.function.aws_scheduler_schedule.this["nightly-count"]']["after"]
    (target,) = schedule["target"]
    assert json.loads(target["input"]) == {"flask-lambda": {"command": ["users", "count"], "failOnError": True}}
    assert changes["module.function.aws_iam_role.scheduler[0]"]["after"]["name"] == "flask-users-api-sch"
    assert {"function_url", "function_url_curl", "schedule_arns"} <= set(plan["planned_values"]["outputs"])
    # Off by default: no URL, no schedule.
    default = _changes(offline.plan())
    assert not [address for address in default if "function_url" in address or "schedul" in address]


BAD_SCHEDULES = {
    "expression of another kind": (
        {"x": {"expression": "every hour", "command": ["users", "count"]}},
        "must be rate(...), cron(...) or at(...)",
    ),
    "no command": ({"x": {"expression": "rate(1 hour)", "command": []}}, "must list at least one word"),
    "empty word": ({"x": {"expression": "rate(1 hour)", "command": ["users", " "]}}, "must list at least one word"),
    "key with a space": (
        {"nightly count": {"expression": "rate(1 day)", "command": ["users", "count"]}},
        "Each key of schedules must be 1-64 letters",
    ),
    "timezone": (
        {"x": {"expression": "rate(1 day)", "command": ["users"], "timezone": "Paris time"}},
        "must be a time zone name",
    ),
}


def test_bad_schedules_are_refused_with_the_reason(offline_module: Offline) -> None:
    # One plan with every bad entry: each breaks another validation, and Terraform reports them all at once.
    schedules = {
        f"{number}-{key}" if " " not in key else key: schedule
        for number, (entries, _) in enumerate(BAD_SCHEDULES.values())
        for key, schedule in entries.items()
    }
    refusal = offline_module.refusal(_var("schedules", schedules))
    for name, (_, message) in BAD_SCHEDULES.items():
        assert message in refusal, name
