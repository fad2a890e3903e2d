"""Configuration comes from the environment only: a missing or weak secret stops the function at import.

The endpoint is the SDK's own setting (AWS_ENDPOINT_URL_DYNAMODB here, nothing on AWS); no local code path.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest

from tests.api.conftest import API_DIR, PAGE_TOKEN_KEY, TABLE_NAME, Api
from tests.api.events import http_event
from tests.api.test_unavailable import closed_port
from tests.conftest import LAYER_DIR
from tools.moto_server import MotoServer

# Load the function as the Lambda runtime would, in a fresh interpreter, and answer one event.
RUNNER = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from lambda_wsgi import Adapter, load_app
try:
    handler = Adapter(load_app("routes:routes"))
except Exception as error:
    is_import_error = isinstance(error, ImportError)
    print(json.dumps({"error": type(error).__name__, "isImportError": is_import_error, "message": str(error)}))
else:
    print(json.dumps(handler(json.loads(sys.argv[3]), None)))
"""


def run_function(env: dict[str, str], event: dict[str, Any] | None = None) -> dict[str, Any]:
    base = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    completed = subprocess.run(
        [sys.executable, "-c", RUNNER, str(LAYER_DIR), str(API_DIR), json.dumps(event or http_event("GET", "/users"))],
        env={**base, **env},
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


def fresh_import(name: str) -> ModuleType:
    """Execute an api/ module again under another name, as a cold start would."""
    spec = importlib.util.spec_from_file_location(f"fresh_{name}", API_DIR / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("key", [None, "", "x", "k" * 31])
def test_a_missing_or_short_page_token_key_fails_the_import(
    api_modules: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    if key is None:
        monkeypatch.delenv("PAGE_TOKEN_KEY")
    else:
        monkeypatch.setenv("PAGE_TOKEN_KEY", key)
    with pytest.raises(RuntimeError, match=r"^PAGE_TOKEN_KEY .*at least 32 characters"):
        fresh_import("page_token")


def test_a_key_of_32_characters_is_enough_and_tokens_depend_on_it(
    api_modules: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAGE_TOKEN_KEY", "k" * 32)
    other = fresh_import("page_token")
    ours = api_modules["page_token"]
    token = ours.encode(["a", "b"])
    assert ours.decode(token) == ["a", "b"]
    assert other.encode(["a", "b"]) != token
    with pytest.raises(other.InvalidTokenError):
        other.decode(token)


def test_a_missing_table_name_fails_the_import(
    api_modules: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("USERS_TABLE")
    with pytest.raises(RuntimeError, match=r"^USERS_TABLE is not set"):
        fresh_import("storage")


def test_the_lambda_init_error_names_the_missing_variable(moto: MotoServer) -> None:
    result = run_function(function_env(moto.endpoint, PAGE_TOKEN_KEY=None))
    assert result["error"] == "AppLoadError"
    assert result["isImportError"]  # Lambda reports it as Runtime.ImportModuleError
    assert "PAGE_TOKEN_KEY is not set" in result["message"]
    short = run_function(function_env(moto.endpoint, PAGE_TOKEN_KEY="short"))
    assert "PAGE_TOKEN_KEY is only 5 characters long" in short["message"]


def test_the_endpoint_is_the_sdks_standard_setting(
    api: Api, api_modules: dict[str, ModuleType], moto: MotoServer
) -> None:
    client = api_modules["storage"].users.client
    assert client.meta.endpoint_url == moto.endpoint
    api.create("Ada", "ada@example.com")
    assert api_modules["storage"].users.client is client  # one client for the execution environment


def test_a_fresh_function_pointed_at_nothing_answers_503(api: Api, moto: MotoServer) -> None:
    api.create("Ada", "ada@example.com")
    served = run_function(function_env(moto.endpoint))
    assert served["statusCode"] == 200
    assert [user["name"] for user in json.loads(served["body"])["items"]] == ["Ada"]
    cut_off = run_function(function_env(f"http://127.0.0.1:{closed_port()}"))
    assert cut_off["statusCode"] == 503
    assert cut_off["headers"]["Retry-After"] == "1"
    assert json.loads(cut_off["body"]) == {"message": "the service is busy or unavailable; retry shortly"}
