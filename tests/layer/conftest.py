"""Fixtures for the layer's tests: the sample Blueprint served through the adapter."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lambda_wsgi import Adapter
from lambda_wsgi.app_loader import app_for_blueprint
from lambda_wsgi.base64_codec import codec
from tests.conftest import http_event, lambda_context
from tests.layer import sample_routes

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


@pytest.fixture
def adapter(monkeypatch: pytest.MonkeyPatch) -> Adapter:
    monkeypatch.setenv("FLASK_SECRET_KEY", "a-test-secret-key-of-enough-length")
    return Adapter(app_for_blueprint(sample_routes.routes, sample_routes.__name__))


@pytest.fixture(params=["pybase64", "standard library"])
def base64_codec(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a test with each codec the layer can use: pybase64 when the function ships it, else the stdlib's."""
    if request.param == "pybase64":
        import pybase64  # noqa: F401 (pinned for the tests: this must not quietly fall back)
    else:
        monkeypatch.setitem(sys.modules, "pybase64", None)  # what a function without pybase64 sees
    codec.cache_clear()
    yield request.param
    codec.cache_clear()


@pytest.fixture
def invoke(adapter: Adapter) -> Invoke:
    """Call the handler as Lambda does, with a fresh context per invocation."""

    def call(event: dict[str, Any]) -> dict[str, Any]:
        return dict(adapter(event, lambda_context()))

    return call


def echo(invoke: Invoke, **kwargs: Any) -> dict[str, Any]:
    """What the sample's /echo view saw of an HTTP API 2.0 request built by `http_event(**kwargs)`."""
    result = invoke(http_event(**kwargs))
    assert result["statusCode"] == 200, result
    body: dict[str, Any] = json_body(result)
    return body


def body_bytes(result: dict[str, Any]) -> bytes:
    """The exact bytes a client receives for this result."""
    body = result["body"]
    return base64.b64decode(body) if result["isBase64Encoded"] else body.encode()


def json_body(result: dict[str, Any]) -> Any:
    return json.loads(body_bytes(result))
