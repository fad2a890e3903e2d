"""Application Load Balancer events, in single- and multi-value header mode."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest

from lambda_wsgi import Adapter
from tests.conftest import lambda_context, load_event
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


def cookie_app(count: int) -> Adapter:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), *(("Set-Cookie", f"c{n}=1") for n in range(count))])
        return [b"ok"]

    return Adapter(app)


def test_single_value_mode_logs_an_error_naming_the_cookies_it_cannot_send(caplog: pytest.LogCaptureFixture) -> None:
    result = cookie_app(600)(load_event("alb_single"), lambda_context("req-cookies"))
    sent = [value for name, value in result["headers"].items() if name.lower() == "set-cookie"]
    assert len(sent) == 512  # one per spelling of the name: all there are
    errors = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "88 of the response's 600 Set-Cookie headers were dropped" in errors[0]
    assert "lambda.multi_value_headers.enabled" in errors[0]


def test_single_value_mode_warns_once_that_several_cookies_rely_on_spellings(caplog: pytest.LogCaptureFixture) -> None:
    adapter = cookie_app(2)
    for _ in range(3):
        assert adapter(load_event("alb_single"), lambda_context())["statusCode"] == 200
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "lambda.multi_value_headers.enabled" in warnings[0]


@pytest.mark.parametrize(("fixture", "count"), [("alb_single", 1), ("alb_multi", 600)])
def test_nothing_to_say_when_every_cookie_has_its_own_header(
    fixture: str, count: int, caplog: pytest.LogCaptureFixture
) -> None:
    result = dict(cookie_app(count)(load_event(fixture), lambda_context()))
    assert result["statusCode"] == 200
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.mark.parametrize("fixture", ["alb_single", "alb_multi"])
@pytest.mark.parametrize(
    ("headers", "body"),
    [
        pytest.param([], b"x" * (1024 * 1024), id="body"),
        pytest.param([("X-Big", "a" * (1024 * 1024))], b"small", id="header"),
        pytest.param([("Set-Cookie", f"c{n}={'v' * 4000}") for n in range(300)], b"small", id="cookies"),
    ],
)
def test_a_response_over_albs_1_mb_limit_is_a_clear_500(
    *, fixture: str, headers: list[tuple[str, str]], body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """ALB takes at most 1 MB of JSON from a Lambda target, far less than Lambda's 6 MB, and else answers a 502."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), *headers])
        return [body]

    result = dict(Adapter(app)(load_event(fixture), lambda_context("req-alb-big")))
    assert result["statusCode"] == 500
    assert json_body(result) == {"message": "response too large for Lambda", "requestId": "req-alb-big"}
    (record,) = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert "ALB's 1 MB limit" in record.getMessage()
