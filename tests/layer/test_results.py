"""Response fidelity: status, headers, cookies and bodies reach the client exactly, in each result format."""

from __future__ import annotations

import base64
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
    return invoke(http_event(path="/typed", query=urlencode(params)))


def test_v2_result_shape(invoke: Invoke) -> None:
    result = invoke(http_event(path="/cookies"))
    assert set(result) == {"statusCode", "headers", "cookies", "body", "isBase64Encoded"}
    assert result["statusCode"] == 200
    assert isinstance(result["statusCode"], int)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in result["headers"].items())


def test_every_set_cookie_goes_to_the_cookies_list_with_its_attributes(invoke: Invoke) -> None:
    result = invoke(http_event(path="/cookies"))
    assert result["cookies"] == [
        "session_id=abc; Secure; HttpOnly; Path=/; SameSite=Lax",
        result["cookies"][1],
    ]
    assert result["cookies"][1].startswith("theme=dark; Expires=")
    assert "Max-Age=3600" in result["cookies"][1]
    assert not any(name.lower() == "set-cookie" for name in result["headers"])


def test_repeated_headers_are_comma_joined_not_dropped(invoke: Invoke) -> None:
    assert invoke(http_event(path="/cookies"))["headers"]["X-Multi"] == "a, b"


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
    result = invoke(http_event(path="/binary"))
    assert result["headers"]["Content-Type"] == "image/png"
    assert body_bytes(result) == sample_routes.PNG


def test_no_content_and_head_have_empty_bodies(invoke: Invoke) -> None:
    result = invoke(http_event(path="/no-content"))
    assert (result["statusCode"], result["body"], result["isBase64Encoded"]) == (204, "", False)
    head = invoke(http_event(method="HEAD", path="/binary"))
    assert (head["statusCode"], head["body"]) == (200, "")
    assert head["headers"]["Content-Length"] == str(len(sample_routes.PNG))


def test_redirect_keeps_location(invoke: Invoke) -> None:
    result = invoke(http_event(path="/redirect", stage="prod"))
    assert result["statusCode"] == 302
    assert result["headers"]["Location"] == "/prod/users/ada"


def test_404_and_405_with_allow_come_from_the_app(invoke: Invoke) -> None:
    assert invoke(http_event(path="/nowhere"))["statusCode"] == 404
    result = invoke(http_event(method="POST", path="/only-get"))
    assert result["statusCode"] == 405
    assert set(result["headers"]["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


def test_app_error_handlers_run(invoke: Invoke) -> None:
    result = invoke(http_event(path="/teapot"))
    assert (result["statusCode"], json_body(result)) == (418, {"message": "short and stout"})


def test_streamed_body_is_collected_and_closed(invoke: Invoke) -> None:
    sample_routes.closed_streams.clear()
    result = invoke(http_event(path="/stream"))
    assert result["body"] == "chunk0;chunk1;chunk2;"
    assert sample_routes.closed_streams == ["stream"]


def test_json_post_and_multipart_upload(invoke: Invoke) -> None:
    result = invoke(
        http_event(method="POST", path="/json", headers={"content-type": "application/json"}, body='{"name": "Zoë"}')
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
            path="/upload",
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
            body=upload,
        )
    )
    assert json_body(result) == {"filename": "a.png", "size": 6, "form": {"title": "photo"}, "first": "89504e47"}


def test_sessions_survive_between_requests_through_the_cookie(invoke: Invoke) -> None:
    first = invoke(http_event(path="/session"))
    assert json_body(first) == {"visits": 1}
    cookie = first["cookies"][0].split(";")[0]
    second = invoke(http_event(path="/session", cookies=[cookie]))
    assert json_body(second) == {"visits": 2}


def test_flask_config_comes_from_flask_prefixed_variables(invoke: Invoke) -> None:
    assert json_body(invoke(http_event(path="/config"))) == {"secret_key_set": True}


def test_teardown_runs_for_every_request(invoke: Invoke) -> None:
    sample_routes.teardowns.clear()
    invoke(http_event(path="/users/ada"))
    invoke(http_event(path="/fails"))
    assert sample_routes.teardowns == ["/users/ada", "/fails:RuntimeError"]


def test_nothing_leaks_from_one_invocation_into_the_next(invoke: Invoke) -> None:
    invoke(http_event(method="POST", path="/echo", headers={"x-secret": "1"}, cookies=["token=abc"], body="first"))
    seen = json_body(invoke(http_event(path="/echo")))
    assert "X-Secret" not in seen["headers"]
    assert seen["cookies"] == {}
    assert seen["body"] == ""
    assert seen["g_leaked"] is None


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


def test_function_url_result(adapter: Adapter) -> None:
    event = load_event("function_url")
    event["rawPath"] = "/cookies"
    event["requestContext"]["http"]["method"] = "GET"
    result: dict[str, Any] = dict(adapter(event, lambda_context()))
    assert result["statusCode"] == 200
    assert len(result["cookies"]) == 2
