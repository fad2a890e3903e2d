"""modules/flask-function on its own, for a function that is not the users API: a hello function with no table.

Plans offline (the module as a root module, see the `offline_module` fixture) check the defaults, the variables'
refusals and the choice of layer; a root module of the tests' own that calls the module is applied to a moto server
with AWS_IAM (the default), then NONE, then JWT, and destroyed.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.infra.hcl import module_files
from tests.infra.moto import MOTO_GAPS_OVERRIDE, REGION, Moto, moto_server, provider_configuration
from tests.infra.terraform import Offline, Terraform, copy_module

HELLO_ROUTES = '''"""A Flask app that is not the users API: one route, no table."""

from flask import Blueprint

routes = Blueprint("hello", __name__)


@routes.get("/")
def hello() -> dict[str, str]:
    return {"message": "hello"}
'''
# A root module that calls the module with a hello function, passing on what the tests vary; null keeps the module's
# default.
ROOT_CONFIGURATION = """terraform {
  required_version = ">= 1.9.0"
}

variable "layer_zip" {
  type    = string
  default = null
}

variable "layer_arn" {
  type    = string
  default = null
}

variable "function_zip" {
  type = string
}

variable "authorization" {
  type    = string
  default = null
}

variable "jwt_issuer" {
  type    = string
  default = null
}

variable "jwt_audience" {
  type    = list(string)
  default = null
}

variable "routes" {
  type    = list(string)
  default = null
}

variable "environment" {
  type    = map(string)
  default = null
}

variable "policy_statements" {
  type    = any
  default = null
}

module "function" {
  source = "./modules/flask-function"

  name          = "hello"
  layer_zip     = var.layer_zip
  layer_arn     = var.layer_arn
  function_zip  = var.function_zip
  authorization = var.authorization
  jwt_issuer    = var.jwt_issuer
  jwt_audience  = var.jwt_audience
  routes        = var.routes

  environment       = var.environment
  policy_statements = var.policy_statements
}

output "function" {
  value = module.function
}
"""
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"
CLIENT_ID = "4example0client0id0abcdefgh"
JWT = ("-var=authorization=JWT", f"-var=jwt_issuer={ISSUER}", f'-var=jwt_audience=["{CLIENT_ID}"]')
LAYER_ARN = "arn:aws:lambda:us-east-1:123456789012:layer:flask-layer:3"


def _after(plan: dict[str, Any], address: str) -> dict[str, Any]:
    (change,) = [item["change"] for item in plan["resource_changes"] if item["address"] == address]
    after: dict[str, Any] = change["after"]
    return after


def _addresses(plan: dict[str, Any]) -> set[str]:
    return {item["address"] for item in plan["resource_changes"] if item["mode"] == "managed"}


def test_the_module_knows_nothing_of_the_users_api() -> None:
    for path in module_files():
        text = path.read_text(encoding="utf-8")
        for word in ("USERS_TABLE", "PAGE_TOKEN", "/users", "aws_dynamodb_table", "users table", "Users"):
            assert word not in text, f"{path.name} mentions {word}"
        assert not re.search(r'(?m)^provider "', text), f"{path.name}: a module configures no provider"


@pytest.fixture(scope="module")
def default_plan(offline_module: Offline) -> dict[str, Any]:
    return offline_module.plan()


def test_defaults_are_one_default_route_signed_with_sigv4(default_plan: dict[str, Any]) -> None:
    route = _after(default_plan, 'aws_apigatewayv2_route.this["$default"]')
    assert (route["route_key"], route["authorization_type"]) == ("$default", "AWS_IAM")
    addresses = _addresses(default_plan)
    assert "aws_iam_policy.invoke[0]" in addresses
    assert "aws_lambda_layer_version.this[0]" in addresses
    assert not [address for address in addresses if "authorizer" in address]
    assert [address for address in addresses if address.startswith("aws_apigatewayv2_route.")] == [
        'aws_apigatewayv2_route.this["$default"]'
    ]
    function = _after(default_plan, "aws_lambda_function.this")
    assert function["function_name"] == "hello"
    assert function["environment"] == [], "no variables, no environment block"
    assert function["tracing_config"] == [{"mode": "Active"}]
    assert function["snap_start"] == []
    assert _after(default_plan, "aws_lambda_alias.this")["name"] == "live"
    assert _after(default_plan, "aws_iam_role.this")["name"] == "hello-role"
    assert _after(default_plan, "aws_iam_policy.invoke[0]")["name"] == "hello-invoke"
    assert _after(default_plan, "aws_lambda_layer_version.this[0]")["layer_name"] == "hello-layer"
    assert _after(default_plan, "aws_apigatewayv2_api.this")["cors_configuration"] == []
    groups = {_after(default_plan, f"aws_cloudwatch_log_group.{name}")["name"] for name in ("function", "access")}
    assert groups == {"/aws/lambda/hello", "/aws/apigateway/hello/access"}


def test_the_invoke_policy_of_the_default_route_covers_the_whole_api(offline_module: Offline) -> None:
    assert offline_module.evaluate("local.route_invoke_paths") == ["$default/*/*"]


def test_environment_holds_the_callers_variables_and_the_layers_settings(offline_module: Offline) -> None:
    plan = offline_module.plan(
        '-var=environment={"GREETING" = "hello", "UNSET" = null}',
        "-var=wsgi_app=hello:app",
        "-var=function_access_log=true",
        "-var=snap_start=true",
        "-var=snapstart_prime_path=/health",
    )
    function = _after(plan, "aws_lambda_function.this")
    assert function["environment"] == [
        {
            "variables": {
                "GREETING": "hello",
                "LAMBDA_WSGI_APP": "hello:app",
                "LAMBDA_WSGI_ACCESS_LOG": "on",
                "LAMBDA_WSGI_PRIME_PATH": "/health",
            }
        }
    ]
    assert function["snap_start"] == [{"apply_on": "PublishedVersions"}]


def test_an_existing_layer_replaces_the_archive(terraform: Terraform, offline_module: Offline) -> None:
    stand_in = offline_module.workdir / "stand-in.zip"
    by_arn = Offline(terraform, offline_module.workdir, ("-var=name=hello", f"-var=function_zip={stand_in}"))
    plan = by_arn.plan(f"-var=layer_arn={LAYER_ARN}")
    assert not [address for address in _addresses(plan) if "layer_version" in address]
    assert _after(plan, "aws_lambda_function.this")["layers"] == [LAYER_ARN]
    assert plan["planned_values"]["outputs"]["layer_arn"]["value"] == LAYER_ARN
    refusal = by_arn.refusal()
    assert "Exactly one of layer_zip (an archive to publish as a new layer version) and layer_arn" in refusal


BAD_SETTINGS: dict[str, tuple[tuple[str, ...], list[str]]] = {
    "both layers": ((f"-var=layer_arn={LAYER_ARN}",), ["Exactly one of layer_zip"]),
    "layer archive that is no zip": (
        ("-var=layer_zip=layer.tar.gz",),
        ["layer_zip must be the path of a .zip archive"],
    ),
    "route without a slash": (('-var=routes=["GET users"]',), ['Each route must be $default or "METHOD /path"']),
    "route with a bad method": (('-var=routes=["FETCH /users"]',), ['Each route must be $default or "METHOD /path"']),
    "no route": (("-var=routes=[]",), ["there must be at least one"]),
    "a route twice": (('-var=routes=["GET /a", "GET /a"]',), ["Each route must be listed once"]),
    "retention CloudWatch refuses": (
        ("-var=log_retention_days=10",),
        ["log_retention_days must be one of the values CloudWatch Logs accepts"],
    ),
    "bad function name": (("-var=name=hello world",), ["name must be 1-59 letters, digits, hyphens or underscores"]),
    "unknown authorization": (("-var=authorization=BASIC",), ["authorization must be AWS_IAM"]),
    "JWT without issuer": (("-var=authorization=JWT",), ['jwt_issuer is required with authorization = "JWT"']),
    "environment of Lambda's": (('-var=environment={"AWS_REGION" = "x"}',), ["environment must not set AWS_*"]),
    "layer setting as environment": (
        ('-var=environment={"LAMBDA_WSGI_APP" = "x:y"}',),
        ["nor LAMBDA_WSGI_* (use wsgi_app"],
    ),
    "bad environment name": (('-var=environment={"1X" = "x"}',), ["Each environment variable name must start"]),
    "statement without actions": (
        ('-var=policy_statements=[{"actions" = [], "resources" = ["*"]}]',),
        ["Each policy statement needs at least one action"],
    ),
    "statement taking the role's sid": (
        ('-var=policy_statements=[{"sid" = "Traces", "actions" = ["s3:GetObject"], "resources" = ["*"]}]',),
        ["not OwnLogGroup or Traces"],
    ),
    "statement effect": (
        ('-var=policy_statements=[{"effect" = "allow", "actions" = ["s3:GetObject"], "resources" = ["*"]}]',),
        ["The effect of a policy statement must be Allow or Deny"],
    ),
    "CORS with $default": (('-var=cors_allow_origins=["https://app.example.com"]',), ["every route must name"]),
    "numeric alias": (("-var=alias_name=7",), ["alias_name must be 1-128 letters"]),
    "past the HTTP API's 30 seconds": (("-var=timeout=300",), ["from 1 to 29, or to 900 with response_streaming"]),
    "the runtime loop's settings as environment": (
        ('-var=environment={"AWS_LAMBDA_EXEC_WRAPPER" = "/opt/other", "LAMBDA_WSGI_STREAM" = "rest-api"}',),
        ["environment must not set AWS_*", "nor LAMBDA_WSGI_*"],
    ),
}


# What a case's check reads besides the variables it sets: it must not share a plan with a case that sets those.
_ALSO_READS = {
    "both layers": {"layer_zip"},
    "CORS with $default": {"routes"},
    "JWT without issuer": {"jwt_issuer"},
    "past the HTTP API's 30 seconds": {"response_streaming"},
}


def _rounds(cases: dict[str, tuple[tuple[str, ...], list[str]]]) -> list[list[str]]:
    """The cases in as few plans as can hold them: Terraform reports every failed variable check of a plan, so
    cases that set (or read) different variables can share one, and each plan costs seconds."""
    rounds: list[tuple[set[str], list[str]]] = []
    for name, (options, _) in cases.items():
        touched = {option.removeprefix("-var=").partition("=")[0] for option in options} | _ALSO_READS.get(name, set())
        for variables, names in rounds:
            if not variables & touched:
                variables.update(touched)
                names.append(name)
                break
        else:
            rounds.append((touched, [name]))
    return [names for _, names in rounds]


@pytest.mark.parametrize("names", _rounds(BAD_SETTINGS), ids=" + ".join)
def test_bad_settings_are_refused_with_the_reason(offline_module: Offline, names: list[str]) -> None:
    refusal = offline_module.refusal(*(option for name in names for option in BAD_SETTINGS[name][0]))
    for name in names:
        for message in BAD_SETTINGS[name][1]:
            assert message in refusal, name


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

    def routes(self, api_id: str) -> dict[str, dict[str, Any]]:
        return {
            route["RouteKey"]: route for route in self.moto.client("apigatewayv2").get_routes(ApiId=api_id)["Items"]
        }


@pytest.fixture(scope="module")
def moto() -> Iterator[Moto]:
    with moto_server() as server:
        yield server


@pytest.fixture(scope="module")
def hello(terraform: Terraform, moto: Moto, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hello]:
    workdir = tmp_path_factory.mktemp("module-moto")
    module_dir = copy_module(workdir)
    (module_dir / "moto_gaps_override.tf").write_text(MOTO_GAPS_OVERRIDE)
    (workdir / "main.tf").write_text(ROOT_CONFIGURATION)
    (workdir / "provider.tf").write_text(provider_configuration(moto.endpoint, region=REGION))
    function_zip, layer_zip = workdir / "hello.zip", workdir / "layer.zip"
    with zipfile.ZipFile(function_zip, "w") as archive:
        archive.writestr("routes.py", HELLO_ROUTES)
    with zipfile.ZipFile(layer_zip, "w") as archive:
        archive.writestr("python/README.txt", "a stand-in for the layer: moto never runs the function\n")
    variables = {"function_zip": str(function_zip), "layer_zip": str(layer_zip)}
    (workdir / "terraform.tfvars.json").write_text(json.dumps(variables))
    terraform.run(workdir, "init", "-backend=false", "-input=false")
    deployed = Hello(terraform, workdir, moto)
    try:
        yield deployed
    finally:
        terraform.run(workdir, "destroy", "-auto-approve", "-input=false")


def test_hello_deploys_with_the_defaults(hello: Hello) -> None:
    outputs = hello.apply()
    moto, account = hello.moto, hello.moto.account_id()
    api_id = outputs["api_id"]
    assert outputs["api_url"] == f"https://{api_id}.execute-api.{REGION}.amazonaws.com"
    assert outputs["curl_example"].endswith(f"'{outputs['api_url']}/'")
    assert f'--aws-sigv4 "aws:amz:{REGION}:execute-api"' in outputs["curl_example"]
    assert outputs["function_name"] == "hello"
    assert outputs["function_arn"] == f"arn:aws:lambda:{REGION}:{account}:function:hello"
    assert outputs["alias_arn"] == f"arn:aws:lambda:{REGION}:{account}:function:hello:live"
    assert re.fullmatch(rf"arn:aws:lambda:{REGION}:{account}:layer:hello-layer:\d+", outputs["layer_arn"])
    assert (outputs["role_name"], outputs["role_arn"]) == ("hello-role", f"arn:aws:iam::{account}:role/hello-role")

    routes = hello.routes(api_id)
    assert {key: route["AuthorizationType"] for key, route in routes.items()} == {"$default": "AWS_IAM"}
    config = moto.client("lambda").get_function_configuration(FunctionName="hello", Qualifier="live")
    assert "Environment" not in config or not config["Environment"].get("Variables")
    assert config["Handler"] == "main.handler"
    assert [layer["Arn"] for layer in config["Layers"]] == [outputs["layer_arn"]]

    iam = moto.client("iam")
    policy = iam.get_policy(PolicyArn=outputs["invoke_policy_arn"])["Policy"]
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
    document = version["PolicyVersion"]["Document"]
    document = json.loads(document) if isinstance(document, str) else document
    (statement,) = document["Statement"]
    resources = [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
    assert resources == [f"arn:aws:execute-api:{REGION}:{account}:{api_id}/$default/*/*"]
    statements = iam.get_role_policy(RoleName="hello-role", PolicyName="hello-least-privilege")["PolicyDocument"]
    statements = json.loads(statements) if isinstance(statements, str) else statements
    assert {statement["Sid"] for statement in statements["Statement"]} == {"OwnLogGroup", "Traces"}


def test_hello_opens_to_everyone_with_none(hello: Hello) -> None:
    outputs = hello.apply("-var=authorization=NONE")
    assert {key: route["AuthorizationType"] for key, route in hello.routes(outputs["api_id"]).items()} == {
        "$default": "NONE"
    }
    assert outputs["invoke_policy_arn"] is None
    assert outputs["curl_example"] == f"curl -si '{outputs['api_url']}/'"
    assert hello.moto.client("iam").list_policies(Scope="Local")["Policies"] == []


STATEMENTS = [
    {"sid": "Bucket", "actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::example-bucket/*"]},
    {
        "sid": "Queue",
        "actions": ["sqs:SendMessage"],
        "resources": ["*"],
        "conditions": [{"test": "StringEquals", "variable": "aws:RequestedRegion", "values": [REGION]}],
    },
]


def test_hello_checks_bearer_tokens_with_jwt(hello: Hello) -> None:
    """JWT, other routes, and what a function with its own needs has: variables and policy statements."""
    outputs = hello.apply(
        *JWT,
        '-var=routes=["GET /", "GET /hello/{name}"]',
        '-var=environment={"GREETING" = "hello"}',
        f"-var=policy_statements={json.dumps(STATEMENTS)}",
    )
    routes = hello.routes(outputs["api_id"])
    assert set(routes) == {"GET /", "GET /hello/{name}"}
    assert {route["AuthorizationType"] for route in routes.values()} == {"JWT"}
    (authorizer_id,) = {route["AuthorizerId"] for route in routes.values()}
    authorizer = hello.moto.client("apigatewayv2").get_authorizer(ApiId=outputs["api_id"], AuthorizerId=authorizer_id)
    assert authorizer["Name"] == "hello-jwt"
    assert authorizer["JwtConfiguration"] == {"Issuer": ISSUER, "Audience": [CLIENT_ID]}
    assert outputs["curl_example"] == f"curl -si -H \"Authorization: Bearer $TOKEN\" '{outputs['api_url']}/'"

    config = hello.moto.client("lambda").get_function_configuration(FunctionName="hello", Qualifier="live")
    assert config["Environment"]["Variables"] == {"GREETING": "hello"}
    document = hello.moto.client("iam").get_role_policy(RoleName="hello-role", PolicyName="hello-least-privilege")
    policy = document["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    assert set(statements) == {"OwnLogGroup", "Traces", "Bucket", "Queue"}
    assert statements["Bucket"]["Action"] == "s3:GetObject"
    assert statements["Bucket"]["Resource"] == "arn:aws:s3:::example-bucket/*"
    assert statements["Queue"]["Condition"] == {"StringEquals": {"aws:RequestedRegion": REGION}}
