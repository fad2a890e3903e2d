"""The request step: what the client sent through API Gateway is what the Flask view sees (PEP 3333 environ)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any, cast
from wsgiref.validate import validator

import pytest

from lambda_wsgi import Adapter
from lambda_wsgi.response import WSGIApp
from lambda_wsgi.sources import find_source, sources
from tests.conftest import http_event, lambda_context, load_event
from tests.layer.conftest import Invoke, echo, json_body


def test_method_comes_from_the_request_context(invoke: Invoke) -> None:
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        assert echo(invoke, method=method, raw_path="/echo")["method"] == method


@pytest.mark.parametrize(
    ("raw_path", "expected"),
    [
        ("/echo/a%20b", "a b"),
        ("/echo/a%2Fb", "a/b"),
        ("/echo/%C3%A9t%C3%A9", "été"),
        ("/echo/été", "été"),
        ("/echo/a b", "a b"),
        ("/echo/100%25", "100%"),
        ("/echo/%F0%9F%98%80", "😀"),
    ],
)
def test_path_is_percent_decoded_once_and_reaches_the_view_as_text(
    invoke: Invoke, raw_path: str, expected: str
) -> None:
    seen = echo(invoke, raw_path=raw_path)
    assert seen["rest"] == expected
    assert seen["path"] == "/echo/" + expected


def test_path_info_is_a_native_string_of_the_utf8_bytes(adapter: Adapter) -> None:
    event = http_event(raw_path="/echo/%C3%A9")
    environ = find_source(event, sources()).environ(event, lambda_context(), "request-id")
    assert environ["PATH_INFO"] == "/echo/\u00c3\u00a9"  # PEP 3333: bytes as latin-1 code points


def test_query_string_is_passed_verbatim(invoke: Invoke) -> None:
    query = "a=1&a=2&b=x+y&c=%26%3D&d=&e&f=%C3%A9"
    seen = echo(invoke, raw_path="/echo", query=query)
    assert seen["query_string"] == query
    assert seen["args"] == {"a": ["1", "2"], "b": ["x y"], "c": ["&="], "d": [""], "e": [""], "f": ["é"]}


def test_headers_keep_their_values_and_comma_joined_repeats_stay_one_value(invoke: Invoke) -> None:
    seen = echo(invoke, raw_path="/echo", headers={"x-multi": "a,b", "accept": "text/html, application/json;q=0.9"})
    assert seen["headers"]["X-Multi"] == "a,b"
    assert seen["headers"]["Accept"] == "text/html, application/json;q=0.9"
    assert seen["environ"]["HTTP_X_MULTI"] == "a,b"


def test_content_headers_become_content_keys_only(invoke: Invoke) -> None:
    seen = echo(
        invoke,
        method="POST",
        raw_path="/echo",
        headers={"content-type": "application/json", "content-length": "2"},
        body="{}",
    )
    assert seen["environ"]["CONTENT_TYPE"] == "application/json"
    assert seen["environ"]["CONTENT_LENGTH"] == "2"
    assert "HTTP_CONTENT_TYPE" not in seen["environ"]
    assert "HTTP_CONTENT_LENGTH" not in seen["environ"]


def test_content_length_is_the_body_length_without_a_header(invoke: Invoke) -> None:
    event = load_event("http_api_v2")  # AWS's own example: a body and no content-length header
    event["rawPath"] = "/echo"
    assert "content-length" not in event["headers"]
    seen = json_body(invoke(event))
    assert seen["environ"]["CONTENT_LENGTH"] == str(len(event["body"].encode()))
    assert base64.b64decode(seen["body"]) == event["body"].encode()


def test_a_chunked_upload_arrives_whole(invoke: Invoke) -> None:
    seen = echo(invoke, method="POST", raw_path="/echo", headers={"transfer-encoding": "chunked"}, body="chunked body")
    assert base64.b64decode(seen["body"]) == b"chunked body"
    assert seen["environ"]["CONTENT_LENGTH"] == "12"
    assert "HTTP_TRANSFER_ENCODING" not in seen["environ"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("héllo wörld ✓", "héllo wörld ✓".encode()),
        (b"\x00\xff\xfe binary \x80", b"\x00\xff\xfe binary \x80"),
        (None, b""),
        ("", b""),
    ],
)
def test_body_bytes_are_exact(invoke: Invoke, base64_codec: str, body: str | bytes | None, expected: bytes) -> None:
    seen = echo(invoke, method="POST", raw_path="/echo", body=body)
    assert base64.b64decode(seen["body"]) == expected


def test_a_missing_body_key_is_an_empty_body(invoke: Invoke) -> None:
    event = http_event(method="POST", raw_path="/echo")
    del event["body"], event["isBase64Encoded"]
    assert base64.b64decode(json_body(invoke(event))["body"]) == b""


def test_five_mib_body_arrives_intact(invoke: Invoke, base64_codec: str) -> None:
    payload = bytes(range(256)) * (5 * 1024 * 4)
    assert len(payload) == 5 * 1024 * 1024
    seen = json_body(invoke(http_event(method="POST", raw_path="/digest", body=payload)))
    assert seen == {"size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}


def test_remote_addr_is_the_source_ip_and_x_forwarded_for_passes_untouched(invoke: Invoke) -> None:
    event = http_event(raw_path="/echo", headers={"x-forwarded-for": "10.0.0.1, 205.255.255.176"})
    event["requestContext"]["http"]["sourceIp"] = "198.51.100.9"
    seen = json_body(invoke(event))
    assert seen["remote_addr"] == "198.51.100.9"
    assert seen["environ"]["HTTP_X_FORWARDED_FOR"] == "10.0.0.1, 205.255.255.176"


def test_host_port_and_scheme_come_from_the_forwarding_headers(invoke: Invoke) -> None:
    seen = echo(
        invoke,
        raw_path="/echo",
        headers={"host": "api.example.com", "x-forwarded-port": "8443", "x-forwarded-proto": "http"},
    )
    environ = seen["environ"]
    assert (environ["HTTP_HOST"], environ["SERVER_NAME"], environ["SERVER_PORT"]) == (
        "api.example.com",
        "api.example.com",
        "8443",
    )
    assert seen["scheme"] == "http"


def test_host_falls_back_to_the_domain_name_and_defaults_to_https_443(invoke: Invoke) -> None:
    event = http_event(raw_path="/echo")
    event["headers"] = {}
    seen = json_body(invoke(event))
    domain = event["requestContext"]["domainName"]
    assert (seen["environ"]["HTTP_HOST"], seen["environ"]["SERVER_NAME"]) == (domain, domain)
    assert seen["environ"]["SERVER_PORT"] == "443"
    assert seen["scheme"] == "https"
    assert seen["url"] == f"https://{domain}/echo"


@pytest.mark.parametrize(
    "fixture", ["http_api_v2", "function_url", "rest_api_v1", "http_api_v1", "alb_single", "alb_multi"]
)
def test_every_event_kind_builds_a_pep3333_environ(fixture: str) -> None:
    """wsgiref's validator checks every required key, its type, and the app/server protocol."""
    event = load_event(fixture)
    environ = find_source(event, sources()).environ(event, lambda_context(), "request-id")

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    result = Adapter(cast(WSGIApp, validator(app)))(event, lambda_context())
    assert result["statusCode"] == 200
    for key in ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_NAME", "SERVER_PORT"):
        assert isinstance(environ[key], str)
    assert environ["wsgi.version"] == (1, 0)


def test_event_and_context_are_reachable_from_the_view(adapter: Adapter) -> None:
    event = load_event("http_api_v2")
    event["rawPath"] = "/claims"
    event["requestContext"]["http"]["method"] = "GET"
    context = lambda_context("req-123")
    seen = json_body(dict(adapter(event, context)))
    assert seen == {
        "sub": "user-42",
        "stage_variable": "value1",
        "request_id": "req-123",
        "function_arn": context.invoked_function_arn,
    }


def test_non_ascii_header_values_arrive_as_their_utf8_bytes(invoke: Invoke) -> None:
    """As any WSGI server passes them: the bytes as latin-1, which the app decodes as UTF-8 if it wants text."""
    sent = {"x-a": "é", "x-b": "€", "x-c": "é€ 😀"}
    seen = echo(invoke, raw_path="/echo", headers=sent)
    for name, value in sent.items():
        received = seen["environ"]["HTTP_" + name.upper().replace("-", "_")]
        assert received == value.encode().decode("latin-1")
        assert received.encode("latin-1").decode() == value
