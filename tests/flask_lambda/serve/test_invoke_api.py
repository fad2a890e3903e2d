"""serve answers Lambda's Invoke API: boto3 and `flask-lambda command` with an endpoint URL reach the local function."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from flask_lambda import package
from tests.conftest import LAYER_DIR, ROOT
from tests.flask_lambda.conftest import Zips, serving
from tests.flask_lambda.serve.serving import Serve

pytestmark = pytest.mark.slow

COMMAND_DIR = Path(__file__).resolve().parents[1] / "command_function"
COMMAND_NAME = "command-function"  # the folder's name, as serve names the function
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def command_serve(zips: Zips, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    """A function whose own `main.handler` answers command events as the layer does."""
    built = package.build_function(tmp_path_factory.mktemp("command") / "function.zip", COMMAND_DIR)
    args = ["--layer-zip", str(zips.layer), "--function-zip", str(built.path), "--function-dir", str(COMMAND_DIR)]
    with serving(*args) as running:
        yield running


@pytest.fixture(scope="module")
def layer_serve(zips: Zips) -> Iterator[Serve]:
    """The echo function under the layer, which runs the app's Flask commands and refuses events nothing handles."""
    args = ["--layer-zip", str(zips.layer), "--function-zip", str(zips.echo), "--function-dir", str(COMMAND_DIR)]
    with serving(*args) as running:
        yield running


def client(serve: Serve) -> Any:
    return boto3.client(
        "lambda",
        endpoint_url=serve.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=botocore.config.Config(retries={"total_max_attempts": 1}),
    )


def test_a_direct_invocation_returns_the_result_bytes(command_serve: Serve) -> None:
    response = client(command_serve).invoke(FunctionName=COMMAND_NAME, Payload=b'{"any": ["json", 1]}')
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert json.loads(response["Payload"].read()) == {"any": ["json", 1]}


def test_a_qualifier_and_an_arn_reach_the_same_function(command_serve: Serve) -> None:
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{COMMAND_NAME}"
    response = client(command_serve).invoke(FunctionName=arn, Qualifier="live", Payload=b"[1, 2]")
    assert json.loads(response["Payload"].read()) == [1, 2]


def test_an_error_the_function_raises_is_a_function_error(command_serve: Serve) -> None:
    event = {"flask-lambda": {"command": ["crash"], "failOnError": False}}
    response = client(command_serve).invoke(FunctionName=COMMAND_NAME, Payload=json.dumps(event).encode())
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error == {"errorType": "RuntimeError", "errorMessage": "the command crashed"}


def test_the_layer_runs_the_apps_flask_command(layer_serve: Serve) -> None:
    event = {"flask-lambda": {"command": ["routes"], "failOnError": False}}
    response = client(layer_serve).invoke(FunctionName=COMMAND_NAME, Payload=json.dumps(event).encode())
    assert "FunctionError" not in response
    result = json.loads(response["Payload"].read())
    assert result["exitCode"] == 0
    assert "/stream/big" in result["output"]


def test_flask_lambda_command_reaches_the_layer_through_serve(layer_serve: Serve) -> None:
    completed = command(layer_serve, "--function", COMMAND_NAME, "--", "routes")
    assert completed.returncode == 0, completed.stderr
    assert "routes.stream_big" in completed.stdout
    usage = command(layer_serve, "--function", COMMAND_NAME, "--", "no-such-command")
    assert usage.returncode == 2
    assert "No such command 'no-such-command'" in usage.stdout + usage.stderr


def test_the_layer_refuses_an_event_nothing_handles_as_a_function_error(layer_serve: Serve) -> None:
    event = {"Records": [{"eventSource": "aws:sqs", "messageId": "1", "body": "{}"}]}
    response = client(layer_serve).invoke(FunctionName=COMMAND_NAME, Payload=json.dumps(event).encode())
    assert response["FunctionError"] == "Unhandled"
    assert "aws:sqs" in json.loads(response["Payload"].read())["errorMessage"]


def test_an_event_invocation_is_accepted_and_runs_in_the_background(command_serve: Serve) -> None:
    response = client(command_serve).invoke(
        FunctionName=COMMAND_NAME, InvocationType="Event", Payload=b'{"queued": "marker-7f3a"}'
    )
    assert response["StatusCode"] == 202
    line = command_serve.wait_for_line(command_serve.stderr, lambda text: "marker-7f3a" in text, 30.0)
    assert line is not None, command_serve.output()


def test_a_dry_run_is_204_and_runs_nothing(command_serve: Serve) -> None:
    response = client(command_serve).invoke(FunctionName=COMMAND_NAME, InvocationType="DryRun", Payload=b"{}")
    assert response["StatusCode"] == 204


def test_an_unknown_function_is_not_found(command_serve: Serve) -> None:
    with pytest.raises(ClientError) as raised:
        client(command_serve).invoke(FunctionName="no-such-function", Payload=b"{}")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert "Function not found: arn:aws:lambda:us-east-1:" in raised.value.response["Error"]["Message"]


def test_an_invoke_call_skips_the_http_api_routes_and_authorizer(zips: Zips) -> None:
    args = ["--layer-zip", str(zips.layer), "--function-zip", str(zips.echo), "--function-dir", str(COMMAND_DIR)]
    with serving(*args, "--jwt-claims", '{"sub": "someone"}') as running:
        assert running.request("GET", "/event").status == 401
        response = client(running).invoke(FunctionName=COMMAND_NAME, Payload=b"{}")
    assert response["StatusCode"] == 200  # reached the function: the layer's error for a non-HTTP event
    assert response["FunctionError"] == "Unhandled"


def test_the_host_check_still_applies(command_serve: Serve) -> None:
    path = f"/2015-03-31/functions/{COMMAND_NAME}/invocations"
    reply = command_serve.request("POST", path, b"{}", [("Host", "evil.example:80")])
    assert reply.status == 400


def command(serve: Serve, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "flask_lambda", "command", "--endpoint-url", serve.url]
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}:{LAYER_DIR}", "HOME": "/nonexistent"}
    return subprocess.run(
        [*argv, *args], capture_output=True, text=True, timeout=60, check=False, env=environment | CREDENTIALS
    )


def test_the_command_prints_the_output_and_exits_with_its_status(command_serve: Serve) -> None:
    completed = command(command_serve, "--function", COMMAND_NAME, "--", "users", "count", "--all")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == "ran users count --all\nsecond line\n"
    completed = command(command_serve, "--function", COMMAND_NAME, "--", "exit", "3")
    assert completed.returncode == 3
    assert completed.stdout.startswith("ran exit 3")


def test_the_command_exits_1_on_a_function_error(command_serve: Serve) -> None:
    completed = command(command_serve, "--function", COMMAND_NAME, "--", "crash")
    assert completed.returncode == 1
    assert completed.stdout == ""
    assert completed.stderr.strip() == "flask-lambda command: error: RuntimeError: the command crashed"


def test_the_command_says_in_one_line_that_the_function_is_not_found(command_serve: Serve) -> None:
    completed = command(command_serve, "--function", "other", "--", "routes")
    assert completed.returncode == 1
    assert len(completed.stderr.splitlines()) == 1
    assert "no function other:live" in completed.stderr
    assert "Traceback" not in completed.stderr
