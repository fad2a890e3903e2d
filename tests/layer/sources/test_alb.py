"""Application Load Balancer events, in single- and multi-value header mode."""

from __future__ import annotations

import base64

from tests.conftest import load_event
from tests.layer.conftest import Invoke, json_body


class TestAlb:
    def test_single_value_mode(self, invoke: Invoke) -> None:
        event = load_event("alb_single")
        event["path"] = "/echo/caf%C3%A9"
        seen = json_body(invoke(event))
        assert seen["rest"] == "café"
        assert seen["args"] == {"query": ["1234ABCD"], "q": ["a b"]}
        assert seen["remote_addr"] == "72.12.164.125"
        assert seen["scheme"] == "http"
        assert seen["environ"]["SERVER_PORT"] == "80"

    def test_single_value_mode_result_keeps_every_cookie(self, invoke: Invoke) -> None:
        event = load_event("alb_single")
        event["path"] = "/cookies"
        result = invoke(event)
        assert set(result) == {"statusCode", "statusDescription", "headers", "body", "isBase64Encoded"}
        assert result["statusDescription"] == "200 OK"
        cookies = [value for name, value in result["headers"].items() if name.lower() == "set-cookie"]
        assert len(cookies) == 2
        assert {cookie.split("=")[0] for cookie in cookies} == {"session_id", "theme"}

    def test_multi_value_mode(self, invoke: Invoke) -> None:
        event = load_event("alb_multi")
        event["path"] = "/echo"
        result = invoke(event)
        assert set(result) == {"statusCode", "statusDescription", "multiValueHeaders", "body", "isBase64Encoded"}
        seen = json_body(result)
        assert base64.b64decode(seen["body"]) == bytes([0, 1, 2, 3, 254, 255])
        assert seen["args"] == {"myKey": ["val1", "val2"], "q": ["a b"]}
        assert seen["headers"]["X-Multi"] == "a, b"
        assert seen["cookies"] == {"cookie1": "one", "cookie2": "two"}

    def test_multi_value_mode_result(self, invoke: Invoke) -> None:
        event = load_event("alb_multi")
        event["path"], event["httpMethod"] = "/cookies", "GET"
        result = invoke(event)
        assert result["multiValueHeaders"]["X-Multi"] == ["a", "b"]
        assert len(result["multiValueHeaders"]["Set-Cookie"]) == 2

    def test_status_description_for_errors(self, invoke: Invoke) -> None:
        event = load_event("alb_single")
        event["path"] = "/nowhere"
        assert invoke(event)["statusDescription"] == "404 NOT FOUND"


def test_alb_query_values_with_non_ascii_reach_the_view_as_text(invoke: Invoke) -> None:
    event = load_event("alb_multi")
    event["path"], event["httpMethod"] = "/echo", "GET"
    event["multiValueQueryStringParameters"] = {"q": ["日本", "a%20b"]}
    assert json_body(invoke(event))["args"] == {"q": ["日本", "a b"]}
