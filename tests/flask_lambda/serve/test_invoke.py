"""`./build.sh invoke`: one event of any kind through the built zips under awslambdaric, the result printed."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import LAYER_DIR, ROOT, RUNTIME_PYTHON, load_event
from tests.flask_lambda.conftest import Zips

pytestmark = pytest.mark.slow


def invoke(zips: Zips, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "flask_lambda.serve.invoke", "--runtime-python", str(RUNTIME_PYTHON)]
    command += ["--layer-zip", str(zips.layer), "--function-zip", str(zips.echo), *args]
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}:{LAYER_DIR}"}
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, timeout=120, check=False, env=environment, cwd=ROOT
    )


def to_event_route(event: dict[str, Any]) -> dict[str, Any]:
    if "rawPath" in event:
        event["rawPath"] = "/event/invoked"
        event["requestContext"]["http"]["method"] = "GET"
    else:
        event["path"], event["httpMethod"] = "/event/invoked", "GET"
        if "path" in event["requestContext"]:
            event["requestContext"]["path"] = "/event/invoked"
            event["requestContext"]["stage"] = "$default"
    return event


@pytest.mark.parametrize(
    ("fixture", "result_keys"),
    [
        ("http_api_v2", {"statusCode", "headers", "cookies", "body", "isBase64Encoded"}),
        ("function_url", {"statusCode", "headers", "cookies", "body", "isBase64Encoded"}),
        ("rest_api_v1", {"statusCode", "multiValueHeaders", "body", "isBase64Encoded"}),
        ("http_api_v1", {"statusCode", "multiValueHeaders", "body", "isBase64Encoded"}),
        ("alb_single", {"statusCode", "statusDescription", "headers", "body", "isBase64Encoded"}),
    ],
)
def test_each_event_kind_gets_its_own_result(zips: Zips, tmp_path: Any, fixture: str, result_keys: set[str]) -> None:
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(to_event_route(load_event(fixture))))
    completed = invoke(zips, str(event_file))
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert set(result) == result_keys
    assert result["statusCode"] == 200, result
    assert json.loads(result["body"])["path"] == "/event/invoked"
    assert "request id" in completed.stderr


def test_the_event_can_come_on_standard_input(zips: Zips) -> None:
    completed = invoke(zips, "-", stdin=json.dumps(to_event_route(load_event("http_api_v2"))))
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["statusCode"] == 200


def test_an_event_that_is_not_http_is_a_function_error(zips: Zips) -> None:
    completed = invoke(zips, "-", stdin=json.dumps(load_event("sqs")))
    assert completed.returncode == 1
    assert "this function handles HTTP requests only" in json.loads(completed.stdout)["errorMessage"]


@pytest.mark.parametrize(("given", "said"), [("-", "is not JSON"), ("/no/such/event.json", "cannot read the event")])
def test_an_unreadable_event_is_a_usage_error(zips: Zips, given: str, said: str) -> None:
    completed = invoke(zips, given, stdin="{not json")
    assert completed.returncode == 2
    assert said in completed.stderr
    assert completed.stderr.startswith("usage: flask-lambda invoke")
