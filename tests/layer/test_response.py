"""The response step: the app run as PEP 3333 asks, its status, headers and body reaching the client exactly."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import sys
from typing import Any
from urllib.parse import urlencode

import pytest

from lambda_wsgi import Adapter
from tests.conftest import http_event, lambda_context, load_event
from tests.layer import sample_routes
from tests.layer.conftest import Invoke, body_bytes, json_body


def typed(invoke: Invoke, body: bytes, content_type: str, encoding: str | None = None) -> dict[str, Any]:
    params = {"body": base64.b64encode(body).decode(), "type": content_type}
    if encoding:
        params["encoding"] = encoding
    return invoke(http_event(raw_path="/typed", query=urlencode(params)))


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html; charset=utf-8",
        "text/plain",
        "application/json",
        "application/problem+json",
        "application/xml",
        "image/svg+xml",
        "application/javascript",
        "text/csv; charset=UTF-8",
        "application/x-www-form-urlencoded",
    ],
)
def test_utf8_text_bodies_travel_as_text(invoke: Invoke, content_type: str) -> None:
    text = "héllo ✓ 😀 <b>&amp;</b>"
    result = typed(invoke, text.encode(), content_type)
    assert result["isBase64Encoded"] is False
    assert result["body"] == text


@pytest.mark.parametrize(
    ("content_type", "encoding", "body"),
    [
        ("image/png", None, bytes(range(256))),
        ("application/octet-stream", None, b"\x00\x01\xff"),
        ("application/json", "gzip", b"\x1f\x8b\x08\x00binary"),
        ("text/plain; charset=latin-1", None, "café".encode("latin-1")),
        ("text/plain; charset=iso-8859-1", None, b"plain ascii in a latin-1 label"),
        ("application/pdf", None, b"%PDF-1.7 \xe2\xe3"),
        ("text/plain", None, b"\xff\xfe not utf-8"),
    ],
)
def test_binary_bodies_travel_as_exact_base64(
    invoke: Invoke, base64_codec: str, content_type: str, encoding: str | None, body: bytes
) -> None:
    result = typed(invoke, body, content_type, encoding)
    assert result["isBase64Encoded"] is True
    assert base64.b64decode(result["body"]) == body


def test_send_file_download_is_exact(invoke: Invoke, base64_codec: str) -> None:
    result = invoke(http_event(raw_path="/binary"))
    assert result["headers"]["Content-Type"] == "image/png"
    assert body_bytes(result) == sample_routes.PNG


def test_no_content_and_head_have_empty_bodies(invoke: Invoke) -> None:
    result = invoke(http_event(raw_path="/no-content"))
    assert (result["statusCode"], result["body"], result["isBase64Encoded"]) == (204, "", False)
    head = invoke(http_event(method="HEAD", raw_path="/binary"))
    assert (head["statusCode"], head["body"]) == (200, "")
    assert head["headers"]["Content-Length"] == str(len(sample_routes.PNG))


def test_redirect_keeps_location(invoke: Invoke) -> None:
    result = invoke(http_event(raw_path="/redirect", stage="prod"))
    assert result["statusCode"] == 302
    assert result["headers"]["Location"] == "/prod/users/ada"


def test_404_and_405_with_allow_come_from_the_app(invoke: Invoke) -> None:
    assert invoke(http_event(raw_path="/nowhere"))["statusCode"] == 404
    result = invoke(http_event(method="POST", raw_path="/only-get"))
    assert result["statusCode"] == 405
    assert set(result["headers"]["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


def test_app_error_handlers_run(invoke: Invoke) -> None:
    result = invoke(http_event(raw_path="/teapot"))
    assert (result["statusCode"], json_body(result)) == (418, {"message": "short and stout"})


def test_streamed_body_is_collected_and_closed(invoke: Invoke) -> None:
    sample_routes.closed_streams.clear()
    result = invoke(http_event(raw_path="/stream"))
    assert result["body"] == "chunk0;chunk1;chunk2;"
    assert sample_routes.closed_streams == ["stream"]


def test_json_post_and_multipart_upload(invoke: Invoke) -> None:
    result = invoke(
        http_event(
            method="POST", raw_path="/json", headers={"content-type": "application/json"}, body='{"name": "Zoë"}'
        )
    )
    assert json_body(result) == {"received": {"name": "Zoë"}}
    boundary = "XyZ"
    upload = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nphoto\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + b"\x89PNG\x00\xff"
        + f"\r\n--{boundary}--\r\n".encode()
    )
    result = invoke(
        http_event(
            method="POST",
            raw_path="/upload",
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
            body=upload,
        )
    )
    assert json_body(result) == {"filename": "a.png", "size": 6, "form": {"title": "photo"}, "first": "89504e47"}


def test_sessions_survive_between_requests_through_the_cookie(invoke: Invoke) -> None:
    first = invoke(http_event(raw_path="/session"))
    assert json_body(first) == {"visits": 1}
    cookie = first["cookies"][0].split(";")[0]
    second = invoke(http_event(raw_path="/session", cookies=[cookie]))
    assert json_body(second) == {"visits": 2}


def test_flask_config_comes_from_flask_prefixed_variables(invoke: Invoke) -> None:
    assert json_body(invoke(http_event(raw_path="/config"))) == {"secret_key_set": True}


def test_teardown_runs_for_every_request(invoke: Invoke) -> None:
    sample_routes.teardowns.clear()
    invoke(http_event(raw_path="/users/ada"))
    invoke(http_event(raw_path="/fails"))
    assert sample_routes.teardowns == ["/users/ada", "/fails:RuntimeError"]


def test_nothing_leaks_from_one_invocation_into_the_next(invoke: Invoke) -> None:
    invoke(http_event(method="POST", raw_path="/echo", headers={"x-secret": "1"}, cookies=["token=abc"], body="first"))
    seen = json_body(invoke(http_event(raw_path="/echo")))
    assert "X-Secret" not in seen["headers"]
    assert seen["cookies"] == {}
    assert seen["body"] == ""
    assert seen["g_leaked"] is None


def test_close_is_called_when_iterating_raises() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Any:
            yield b"a"
            raise OSError("disk gone")

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Body:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Body()

    result = dict(Adapter(app)(http_event(raw_path="/"), lambda_context()))
    assert result["statusCode"] == 500
    assert closed == [True]


def test_write_callable_output_is_kept() -> None:
    def legacy(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        write = start_response("201 Created", [("Content-Type", "text/plain")])
        write(b"written;")
        return [b"returned"]

    result = dict(Adapter(legacy)(http_event(raw_path="/"), lambda_context()))
    assert (result["statusCode"], result["body"]) == (201, "written;returned")


def test_error_page_may_replace_headers_with_exc_info() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise KeyError("late")
        except KeyError:
            start_response("503 Service Unavailable", [("Retry-After", "5")], sys.exc_info())
        return [b"try later"]

    result = dict(Adapter(app)(http_event(raw_path="/"), lambda_context()))
    assert (result["statusCode"], result["headers"]) == (503, {"Retry-After": "5"})
    assert body_bytes(result) == b"try later"  # no Content-Type: sent as bytes, base64


# What the app may not pass on: the status and headers are checked at start_response, as PEP 3333 asks servers to.
EVERY_KIND = ["http_api_v2", "function_url", "http_api_v1", "rest_api_v1", "alb_single", "alb_multi"]
UNSAFE = [
    pytest.param("99 Too Low", [], "status", id="status-under-100"),
    pytest.param("600 Too High", [], "status", id="status-over-599"),
    pytest.param("2000 OK", [], "status", id="status-of-four-digits"),
    pytest.param("20 OK", [], "status", id="status-of-two-digits"),
    pytest.param("20", [], "status", id="bare-status-of-two-digits"),
    pytest.param("1\u00b20 OK", [], "status", id="status-with-a-superscript-digit"),
    pytest.param("1\u06600 OK", [], "status", id="status-with-an-arabic-indic-digit"),
    pytest.param("200OK", [], "status", id="reason-without-a-space"),
    pytest.param("abc OK", [], "status", id="status-not-a-number"),
    pytest.param(" 200 OK", [], "status", id="status-after-a-space"),
    pytest.param(200, [], "status", id="status-not-a-string"),
    pytest.param("200 OK\r\nX-Injected: 1", [], "status", id="reason-with-crlf"),
    pytest.param("200 OK\nX-Injected: 1", [], "status", id="reason-with-lf"),
    pytest.param("200 OK\0", [], "status", id="reason-with-nul"),
    pytest.param("200 OK", [("X-Bad\r\nX-Injected", "1")], "X-Bad", id="name-with-crlf"),
    pytest.param("200 OK", [("X Bad", "1")], "X Bad", id="name-with-a-space"),
    pytest.param("200 OK", [("X-Bad:", "1")], "X-Bad:", id="name-with-a-colon"),
    pytest.param("200 OK", [("", "1")], "''", id="empty-name"),
    pytest.param("200 OK", [("X-Café", "1")], "X-Café", id="name-not-ascii"),
    pytest.param("200 OK", [("X-Value", "a\r\nX-Injected: 1")], "X-Value", id="value-with-crlf"),
    pytest.param("200 OK", [("X-Value", "a\rX-Injected: 1")], "X-Value", id="value-with-cr"),
    pytest.param("200 OK", [("X-Value", "a\nX-Injected: 1")], "X-Value", id="value-with-lf"),
    pytest.param("200 OK", [("X-Value", "a\0b")], "X-Value", id="value-with-nul"),
    pytest.param("200 OK", [("Set-Cookie", "a=1\r\nX-Injected: 1")], "Set-Cookie", id="cookie-with-crlf"),
    pytest.param("200 OK", [(42, "x")], "int", id="name-not-a-string"),
    pytest.param("200 OK", [(b"X-Bytes", "x")], "bytes", id="name-in-bytes"),
    pytest.param("200 OK", [("X-Value", 42)], "X-Value", id="value-not-a-string"),
    pytest.param("200 OK", [("X-Value", b"x")], "X-Value", id="value-in-bytes"),
    pytest.param("200 OK", [("X-Value", None)], "X-Value", id="value-none"),
    pytest.param("200 OK", [("X-Lonely",)], "pair", id="not-a-pair"),
    pytest.param("200 OK", ("X-Value", "a"), "pair", id="headers-not-a-list-of-pairs"),
    pytest.param("200 OK", None, "NoneType", id="headers-none"),
    pytest.param("200 OK", (header for header in [("X-Value", "a")]), "generator", id="headers-a-generator"),
    pytest.param("200 OK", [("200 OK", "a")], "200 OK", id="name-spelled-like-a-status"),
    pytest.param("200 OK", [(["X-Value"], "a")], "list", id="name-unhashable"),
]


@pytest.mark.parametrize("fixture", EVERY_KIND)
@pytest.mark.parametrize(("status", "headers", "named"), UNSAFE)
def test_an_unsafe_status_or_header_is_a_json_500_and_one_log_line_naming_it(
    *, fixture: str, status: Any, headers: Any, named: str, caplog: pytest.LogCaptureFixture
) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, headers)
        return [b"never sent"]

    result = dict(Adapter(app)(load_event(fixture), lambda_context("req-unsafe")))
    assert result["statusCode"] == 500
    assert json_body(result) == {"message": "Internal Server Error", "requestId": "req-unsafe"}
    sent = json.dumps(result)
    assert "Injected" not in sent
    assert "never sent" not in sent
    if "statusDescription" in result:
        assert result["statusDescription"] == "500 Internal Server Error"
    (record,) = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert record.levelno == logging.ERROR
    assert "req-unsafe" in record.getMessage()
    assert named in record.getMessage()


def test_an_unsafe_header_the_app_swallows_is_still_refused(caplog: pytest.LogCaptureFixture) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with contextlib.suppress(Exception):  # an app that carries on
            start_response("200 OK", [("X-Value", "a\r\nX-Injected: 1")])
        return [b"never sent"]

    result = dict(Adapter(app)(http_event(raw_path="/"), lambda_context("req-swallowed")))
    assert (result["statusCode"], json_body(result)["requestId"]) == (500, "req-swallowed")
    (record,) = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert "X-Value" in record.getMessage()


def test_an_app_may_replace_a_refused_start_with_its_own_error_page() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        try:
            start_response("200 OK", [("X-Value", "a\nb")])
        except Exception:
            start_response("502 Bad Gateway", [("Content-Type", "text/plain")], sys.exc_info())
            return [b"upstream sent a bad header"]
        return [b"never sent"]

    result = dict(Adapter(app)(http_event(raw_path="/"), lambda_context()))
    assert (result["statusCode"], result["body"]) == (502, "upstream sent a bad header")


@pytest.mark.parametrize("fixture", EVERY_KIND)
def test_unusual_but_valid_statuses_and_headers_pass(fixture: str) -> None:
    token = "!#$%&'*+-.^_`|~09azAZ"
    headers = [
        ("Content-Type", "text/plain"),
        (token, "any\tvisible text, and latin-1: caf\xe9"),
        ("X-Empty", ""),
        ("Set-Cookie", "a=1; Path=/"),
    ]

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("599 Whatever\tthe app says", headers)
        return [b"ok"]

    result: dict[str, Any] = dict(Adapter(app)(load_event(fixture), lambda_context()))
    assert (result["statusCode"], body_bytes(result)) == (599, b"ok")
    if "statusDescription" in result:
        assert result["statusDescription"] == "599 Whatever\tthe app says"
    multi: dict[str, list[str]] = result.get("multiValueHeaders") or {}
    sent = result.get("headers") or {name: ", ".join(values) for name, values in multi.items()}
    assert sent[token] == "any\tvisible text, and latin-1: caf\xe9"
    assert sent["X-Empty"] == ""


@pytest.mark.parametrize("status", ["100 Continue", "204", "301 ", "404 Not Found"])
def test_a_status_line_is_three_digits_then_an_optional_reason(status: str) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, [])
        return []

    assert Adapter(app)(http_event(raw_path="/"), lambda_context())["statusCode"] == int(status[:3])
