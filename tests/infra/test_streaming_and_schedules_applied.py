"""modules/flask-function's response_streaming and schedules applied: a hello function on a moto server with both,
read back through boto3, then with authorization NONE, then with both off (the plans are test_streaming_and_schedules).
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
from tests.infra.terraform import Terraform, copy_module
from tests.infra.test_streaming_and_schedules import SCHEDULES, STREAMING_ENVIRONMENT, _var

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
