"""Configuration comes from the environment only: a missing or weak secret stops the function at init.

The endpoint is the SDK's own setting (AWS_ENDPOINT_URL_DYNAMODB here, nothing on AWS); no local code path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
import routes
import storage

from flask_lambda.moto_server import MotoServer
from tests.api.conftest import PAGE_TOKEN_KEY, TABLE_NAME, Api
from tests.api.storage.test_unavailable import closed_port
from tests.conftest import API_DIR, LAYER_DIR, http_event

# Load the function as the Lambda runtime would, in a fresh interpreter, and answer one event.
RUNNER = """
import json, sys
from lambda_wsgi import Adapter, load_app
try:
    handler = Adapter(load_app("routes:routes"))
except Exception as error:
    is_import_error = isinstance(error, ImportError)
    print(json.dumps({"error": type(error).__name__, "isImportError": is_import_error, "message": str(error)}))
else:
    print(json.dumps(handler(json.loads(sys.argv[1]), None)))
"""


def run_function(env: dict[str, str], event: dict[str, Any] | None = None) -> dict[str, Any]:
    base = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    completed = subprocess.run(
        [sys.executable, "-c", RUNNER, json.dumps(event or http_event("GET", "/users"))],
        # Laid out as on Lambda: the function's code, then the layer.
        env={**base, **env, "PYTHONPATH": os.pathsep.join([str(API_DIR), str(LAYER_DIR)])},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def function_env(endpoint: str, **changes: str | None) -> dict[str, str]:
    env: dict[str, str | None] = {
        "USERS_TABLE": TABLE_NAME,
        "PAGE_TOKEN_KEY": PAGE_TOKEN_KEY,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        **changes,
    }
    return {name: value for name, value in env.items() if value is not None}


def test_a_missing_table_name_stops_the_app(api_env: dict[str, str]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("USERS_TABLE")
        with pytest.raises(RuntimeError, match=r"^USERS_TABLE is not set"):
            storage.from_environment()


def test_the_lambda_init_error_names_the_missing_variable(moto: MotoServer) -> None:
    result = run_function(function_env(moto.endpoint, PAGE_TOKEN_KEY=None))
    assert result["error"] == "AppLoadError"
    assert result["isImportError"]  # Lambda reports it as Runtime.ImportModuleError
    assert "PAGE_TOKEN_KEY is not set" in result["message"]
    short = run_function(function_env(moto.endpoint, PAGE_TOKEN_KEY="short"))
    assert "PAGE_TOKEN_KEY is only 5 characters long" in short["message"]


def test_the_endpoint_is_the_sdks_standard_setting(api_env: dict[str, str], moto: MotoServer) -> None:
    users = storage.from_environment()
    assert users.client.meta.endpoint_url == moto.endpoint
    assert users.table_name == TABLE_NAME


def test_one_table_and_client_serve_every_request_of_an_environment(api: Api) -> None:
    app: Any = api.handler.app
    users = app.extensions[routes.USERS_EXTENSION]
    api.create("Ada", "ada@example.com")
    assert api.get("/users").status == 200
    assert app.extensions[routes.USERS_EXTENSION] is users


def test_a_fresh_function_pointed_at_nothing_answers_503(api: Api, moto: MotoServer) -> None:
    api.create("Ada", "ada@example.com")
    served = run_function(function_env(moto.endpoint))
    assert served["statusCode"] == 200
    assert [user["name"] for user in json.loads(served["body"])["items"]] == ["Ada"]
    event = http_event("GET", "/users")
    cut_off = run_function(function_env(f"http://127.0.0.1:{closed_port()}"), event)
    assert cut_off["statusCode"] == 503
    assert cut_off["headers"]["Retry-After"] == "1"
    assert json.loads(cut_off["body"]) == {
        "message": "the service is busy or unavailable; retry shortly",
        # Invoked without a context object: the request id is API Gateway's.
        "requestId": event["requestContext"]["requestId"],
    }
