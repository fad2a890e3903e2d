"""Fixtures for the layer's tests: the sample Blueprint served through the adapter."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from lambda_wsgi import Adapter
from lambda_wsgi.app_loader import app_for_blueprint
from tests.conftest import lambda_context
from tests.layer import sample_routes

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


@pytest.fixture
def adapter(monkeypatch: pytest.MonkeyPatch) -> Adapter:
    monkeypatch.setenv("FLASK_SECRET_KEY", "a-test-secret-key-of-enough-length")
    return Adapter(app_for_blueprint(sample_routes.routes, sample_routes.__name__))


@pytest.fixture
def invoke(adapter: Adapter) -> Invoke:
    """Call the handler as Lambda does, with a fresh context per invocation."""

    def call(event: dict[str, Any]) -> dict[str, Any]:
        return dict(adapter(event, lambda_context()))

    return call


def body_bytes(result: dict[str, Any]) -> bytes:
    """The exact bytes a client receives for this result."""
    body = result["body"]
    return base64.b64decode(body) if result["isBase64Encoded"] else body.encode()


def json_body(result: dict[str, Any]) -> Any:
    return json.loads(body_bytes(result))
