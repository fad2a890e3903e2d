"""modules/flask-function's response_streaming (a function URL in RESPONSE_STREAM mode) and schedules (EventBridge
Scheduler running the app's Flask commands): plans offline with each on and off, refusals, then an apply of a hello
function to a moto server with both, read back through boto3, and a second apply with both off.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.infra.moto import MOTO_GAPS_OVERRIDE, REGION, Moto, moto_server, provider_configuration
from tests.infra.terraform import Offline, Terraform, copy_module

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


def test_only_a_streaming_function_url_may_run_past_the_http_apis_30_seconds(offline_module: Offline) -> None:
    assert "from 1 to 29, or to 900 with response_streaming" in offline_module.refusal("-var=timeout=300")
    plan = offline_module.plan("-var=response_streaming=true", "-var=timeout=900")
    assert _after(plan, "aws_lambda_function.this")["timeout"] == 900
    assert "from 1 to 29, or to 900" in offline_module.refusal("-var=response_streaming=true", "-var=timeout=901")


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


@pytest.mark.parametrize(("schedules", "message"), BAD_SCHEDULES.values(), ids=BAD_SCHEDULES.keys())
def test_bad_schedules_are_refused_with_the_reason(
    offline_module: Offline, schedules: dict[str, Any], message: str
) -> None:
    assert message in offline_module.refusal(_var("schedules", schedules))


def test_the_module_still_refuses_lambdas_and_the_layers_names_in_environment(offline_module: Offline) -> None:
    refusal = offline_module.refusal('-var=environment={"AWS_LAMBDA_EXEC_WRAPPER" = "/opt/other"}')
    assert "environment must not set AWS_*" in refusal
    refusal = offline_module.refusal('-var=environment={"LAMBDA_WSGI_STREAM" = "rest-api"}')
    assert "nor LAMBDA_WSGI_*" in refusal


# --- Applied to moto -----------------------------------------------------------------------------------------------

ROOT_CONFIGURATION = """terraform {
  required_version = ">= 1.9.0"
}

variable "layer_zip" {
  type = string
}

variable "function_zip" {
  type = string
}

variable "authorization" {
  type    = string
  default = null
}

variable "response_streaming" {
  type    = bool
  default = null
}

variable "schedules" {
  type    = any
  default = null
}

module "function" {
  source = "./modules/flask-function"

  name               = "hello"
  layer_zip          = var.layer_zip
  function_zip       = var.function_zip
  authorization      = var.authorization
  response_streaming = var.response_streaming
  schedules          = var.schedules
}

output "function" {
  value = module.function
}
"""


@dataclass
class Hello:
    terraform: Terraform
    workdir: Path
    moto: Moto

    def apply(self, *options: str) -> dict[str, Any]:
        """Apply with `options`, check a second plan has nothing to do, and return the module's outputs."""
        self.terraform.run(self.workdir, "apply", "-auto-approve", "-input=false", *options)
        again = self.terraform.run(self.workdir, "plan", "-input=false", "-detailed-exitcode", *options, expect=(0, 2))
        assert again.returncode == 0, f"the plan after the apply wants changes:\n{again.stdout[-4000:]}"
        shown = json.loads(self.terraform.run(self.workdir, "output", "-json").stdout)
        outputs: dict[str, Any] = shown["function"]["value"]
        return outputs


@pytest.fixture(scope="module")
def hello(terraform: Terraform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hello]:
    workdir = tmp_path_factory.mktemp("streaming-moto")
    module_dir = copy_module(workdir)
    (module_dir / "moto_gaps_override.tf").write_text(MOTO_GAPS_OVERRIDE)
    (workdir / "main.tf").write_text(ROOT_CONFIGURATION)
    function_zip, layer_zip = workdir / "hello.zip", workdir / "layer.zip"
    with zipfile.ZipFile(function_zip, "w") as archive:
        archive.writestr("routes.py", "from flask import Blueprint\n\nroutes = Blueprint('hello', __name__)\n")
    with zipfile.ZipFile(layer_zip, "w") as archive:
        archive.writestr("python/README.txt", "a stand-in for the layer: moto never runs the function\n")
    variables = {"function_zip": str(function_zip), "layer_zip": str(layer_zip)}
    (workdir / "terraform.tfvars.json").write_text(json.dumps(variables))
    with moto_server() as moto:
        (workdir / "provider.tf").write_text(provider_configuration(moto.endpoint, region=REGION))
        terraform.run(workdir, "init", "-backend=false", "-input=false")
        try:
            yield Hello(terraform, workdir, moto)
        finally:
            terraform.run(workdir, "destroy", "-auto-approve", "-input=false")


def _document(value: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(value) if isinstance(value, str) else value
    return document


def test_hello_streams_and_runs_its_commands(hello: Hello) -> None:
    outputs = hello.apply("-var=response_streaming=true", _var("schedules", SCHEDULES))
    moto, account = hello.moto, hello.moto.account_id()
    alias_arn = f"arn:aws:lambda:{REGION}:{account}:function:hello:live"
    assert outputs["alias_arn"] == alias_arn

    aws_lambda = moto.client("lambda")
    url = aws_lambda.get_function_url_config(FunctionName="hello", Qualifier="live")
    assert (url["InvokeMode"], url["AuthType"]) == ("RESPONSE_STREAM", "AWS_IAM")
    assert outputs["function_url"] == url["FunctionUrl"]
    assert outputs["function_url_authorization"] == "AWS_IAM"
    assert outputs["function_url_curl"].startswith(f'curl --no-buffer --aws-sigv4 "aws:amz:{REGION}:lambda" ')
    assert '--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"' in outputs["function_url_curl"]
    assert '"x-amz-security-token: $AWS_SESSION_TOKEN"' in outputs["function_url_curl"]
    assert outputs["function_url_curl"].endswith(f"'{url['FunctionUrl']}'")
    config = aws_lambda.get_function_configuration(FunctionName="hello", Qualifier="live")
    assert config["Environment"]["Variables"] == STREAMING_ENVIRONMENT

    scheduler = moto.client("scheduler")
    assert outputs["schedule_group_name"] == "hello"
    assert set(outputs["schedule_arns"]) == set(SCHEDULES)
    role_arn = f"arn:aws:iam::{account}:role/hello-sch"
    assert outputs["scheduler_role_arn"] == role_arn
    for key, schedule in SCHEDULES.items():
        found = scheduler.get_schedule(Name=key, GroupName="hello")
        assert found["Arn"] == outputs["schedule_arns"][key]
        assert found["ScheduleExpression"] == schedule["expression"]
        assert found["FlexibleTimeWindow"]["Mode"] == "OFF"
        assert found["State"] == ("ENABLED" if schedule.get("enabled", True) else "DISABLED")
        target = found["Target"]
        assert (target["Arn"], target["RoleArn"]) == (alias_arn, role_arn)
        assert json.loads(target["Input"]) == {"flask-lambda": {"command": schedule["command"], "failOnError": True}}
        assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2}

    iam = moto.client("iam")
    role = iam.get_role(RoleName="hello-sch")["Role"]
    (trust,) = _document(role["AssumeRolePolicyDocument"])["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": account}
    assert trust["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:scheduler:{REGION}:{account}:schedule/hello/*"}
    assert iam.list_role_policies(RoleName="hello-sch")["PolicyNames"] == ["hello-invoke-alias"]
    policy = _document(iam.get_role_policy(RoleName="hello-sch", PolicyName="hello-invoke-alias")["PolicyDocument"])
    (statement,) = policy["Statement"]
    assert (statement["Action"], statement["Resource"]) == ("lambda:InvokeFunction", alias_arn)
    assert iam.list_attached_role_policies(RoleName="hello-sch")["AttachedPolicies"] == []


def test_hello_opens_its_url_with_none(hello: Hello) -> None:
    outputs = hello.apply("-var=response_streaming=true", "-var=authorization=NONE")
    aws_lambda = hello.moto.client("lambda")
    url = aws_lambda.get_function_url_config(FunctionName="hello", Qualifier="live")
    assert url["AuthType"] == "NONE"
    assert outputs["function_url_curl"] == f"curl --no-buffer '{url['FunctionUrl']}'"
    policy = _document(aws_lambda.get_policy(FunctionName="hello", Qualifier="live")["Policy"])
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    public = statements["AllowPublicFunctionUrl"]
    assert (public["Action"], public["Principal"]) == ("lambda:InvokeFunctionUrl", "*")
    # moto keeps no condition of FunctionUrlAuthType: the plan checks function_url_auth_type = NONE.
    # No one but API Gateway may invoke the alias directly.
    invokers = [statement for statement in statements.values() if statement["Action"] == "lambda:InvokeFunction"]
    assert [statement["Principal"] for statement in invokers] == [{"Service": "apigateway.amazonaws.com"}]
    # No schedules any more: the group, the schedules and the role are gone.
    assert outputs["schedule_arns"] == {}
    assert outputs["scheduler_role_arn"] is None
    assert hello.moto.client("scheduler").list_schedules()["Schedules"] == []
    assert "hello-sch" not in {role["RoleName"] for role in hello.moto.client("iam").list_roles()["Roles"]}


def test_hello_without_streaming_is_as_before(hello: Hello) -> None:
    outputs = hello.apply()
    assert (outputs["function_url"], outputs["function_url_curl"]) == (None, None)
    aws_lambda = hello.moto.client("lambda")
    config = aws_lambda.get_function_configuration(FunctionName="hello", Qualifier="live")
    assert "Environment" not in config or not config["Environment"].get("Variables")
    with pytest.raises(aws_lambda.exceptions.ResourceNotFoundException):
        aws_lambda.get_function_url_config(FunctionName="hello", Qualifier="live")
