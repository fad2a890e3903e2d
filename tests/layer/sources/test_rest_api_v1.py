"""REST API and HTTP API 1.0 events: the stage from the full path, base path mappings, multi-value fields and result."""

from __future__ import annotations

import pytest

from lambda_wsgi import Adapter
from lambda_wsgi.app_loader import app_for_blueprint
from tests.conftest import lambda_context, load_event
from tests.layer import sample_routes
from tests.layer.conftest import Invoke, body_bytes, json_body


def test_rest_api_stage_comes_from_the_full_request_path(invoke: Invoke) -> None:
    event = load_event("rest_api_v1")
    event["path"] = "/users/ada"
    event["requestContext"]["path"] = "/Prod/users/ada"
    assert json_body(invoke(event))["link"] == "/Prod/users/ada"


def test_rest_api_custom_domain_base_path_mapping_needs_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind a custom domain REST APIs keep the mapping in `path`; the base path setting moves it."""
    event = load_event("rest_api_v1")
    event["path"] = event["requestContext"]["path"] = "/mapping/users/ada"
    event["requestContext"]["domainName"] = event["headers"]["Host"] = "api.example.com"
    adapter = Adapter(app_for_blueprint(sample_routes.routes, sample_routes.__name__), base_path="/mapping")
    assert json_body(dict(adapter(event, lambda_context())))["link"] == "/mapping/users/ada"


def test_http_api_v1_on_a_named_stage_strips_the_stage_from_path(invoke: Invoke) -> None:
    event = load_event("http_api_v1")
    event["httpMethod"] = "GET"
    event["path"] = event["requestContext"]["path"] = "/beta/users/ada"
    event["requestContext"]["stage"] = "beta"
    assert json_body(invoke(event))["link"] == "/beta/users/ada"


class TestRestApiV1:
    def test_result_uses_multi_value_headers_for_repeats_and_cookies(self, invoke: Invoke) -> None:
        event = load_event("rest_api_v1")
        event["path"], event["requestContext"]["path"] = "/cookies", "/Prod/cookies"
        result = invoke(event)
        assert set(result) == {"statusCode", "multiValueHeaders", "body", "isBase64Encoded"}
        assert result["multiValueHeaders"]["X-Multi"] == ["a", "b"]
        assert len(result["multiValueHeaders"]["Set-Cookie"]) == 2

    def test_request_fields(self, invoke: Invoke) -> None:
        event = load_event("rest_api_v1")
        event["path"], event["requestContext"]["path"] = "/echo", "/Prod/echo"
        seen = json_body(invoke(event))
        assert seen["args"] == {"parameter1": ["value1", "value2"], "parameter2": ["a b&c"]}
        assert seen["headers"]["X-Multi"] == "a, b"
        assert seen["cookies"] == {"cookie1": "one", "cookie2": "two"}
        assert seen["remote_addr"] == "52.255.255.12"
        assert seen["script_root"] == "/Prod"

    def test_http_api_v1_base64_body(self, invoke: Invoke) -> None:
        event = load_event("http_api_v1")
        event["path"] = event["requestContext"]["path"] = "/json"
        assert json_body(invoke(event)) == {"received": {"hello": "world"}}

    def test_binary_response(self, invoke: Invoke) -> None:
        event = load_event("rest_api_v1")
        event["path"], event["requestContext"]["path"] = "/binary", "/Prod/binary"
        result = invoke(event)
        assert result["isBase64Encoded"] is True
        assert body_bytes(result) == sample_routes.PNG
