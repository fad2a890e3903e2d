"""The front's translation rules without a server: request → payload 2.0 event, function result → HTTP.

Events are compared with the real-shaped fixture tests/events/http_api_v2.json.
"""

from __future__ import annotations

import base64
import json

import pytest

from flask_lambda.serve.events import (
    IncomingRequest,
    InvalidResultError,
    build_event,
    response_from_result,
)
from flask_lambda.serve.routes import RouteTable
from tests.conftest import load_event


def _request(
    target: str = "/my/path?parameter1=value1&parameter1=value2&parameter2=value",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b'{"hello": "world"}',
) -> IncomingRequest:
    return IncomingRequest(
        method="POST",
        target=target,
        protocol="HTTP/1.1",
        headers=headers
        if headers is not None
        else [
            ("Host", "127.0.0.1:8000"),
            ("Content-Type", "application/json"),
            ("Cookie", "cookie1=one; cookie2=two"),
            ("User-Agent", "curl/8.5.0"),
        ],
        body=body,
        source_ip="127.0.0.1",
        server_port=8000,
    )


def test_the_event_has_the_shape_api_gateway_sends() -> None:
    reference = load_event("http_api_v2")
    event = build_event(_request(), "JKJaXmPLvHcESHA=", "Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e", 1583817383.22)
    # Path parameters and stage variables belong to routes and stages a local $default route lacks.
    assert set(event) == set(reference) - {"pathParameters", "stageVariables"}
    context, reference_context = event["requestContext"], reference["requestContext"]
    assert set(context) == set(reference_context) - {"authorizer"}
    assert set(context["http"]) == set(reference_context["http"])
    assert event["rawQueryString"] == reference["rawQueryString"]
    assert event["queryStringParameters"] == reference["queryStringParameters"]
    assert event["cookies"] == reference["cookies"]
    assert event["body"] == reference["body"]
    assert event["isBase64Encoded"] is False
    assert context["time"] == reference_context["time"]
    assert context["timeEpoch"] == reference_context["timeEpoch"]
    assert event["headers"]["x-amzn-trace-id"] == reference["headers"]["x-amzn-trace-id"]


def test_no_body_no_query_no_cookies_leave_their_keys_out() -> None:
    event = build_event(_request("/", [("Host", "localhost")], b""), "id", "trace", 0.0)
    assert "body" not in event
    assert "cookies" not in event
    assert "queryStringParameters" not in event
    assert event["rawQueryString"] == ""
    assert event["isBase64Encoded"] is False
    assert event["requestContext"]["domainName"] == "localhost"


def test_a_text_type_with_bytes_that_are_not_utf8_travels_base64() -> None:
    body = b"caf\xe9"
    event = build_event(_request(headers=[("Content-Type", "text/plain")], body=body), "id", "trace", 0.0)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_a_result_without_status_code_is_a_200_json_body() -> None:
    payload = b'{"hello": "world"}'
    response = response_from_result(payload)
    assert (response.status, response.headers, response.body) == (200, [("content-type", "application/json")], payload)
    assert response_from_result(b'"just a string"').body == b'"just a string"'


def test_a_result_with_cookies_headers_and_a_base64_body() -> None:
    result = {
        "statusCode": 201,
        "headers": {"Content-Type": "image/png", "Content-Length": "999", "X-Count": 3},
        "cookies": ["a=1; Path=/", "b=2; HttpOnly"],
        "body": base64.b64encode(b"\x89PNG\x00").decode(),
        "isBase64Encoded": True,
    }
    response = response_from_result(json.dumps(result).encode())
    assert response.status == 201
    assert response.headers == [
        ("Content-Type", "image/png"),
        ("X-Count", "3"),
        ("set-cookie", "a=1; Path=/"),
        ("set-cookie", "b=2; HttpOnly"),
    ]
    assert response.body == b"\x89PNG\x00"


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"statusCode": "200"}',
        b'{"statusCode": 99}',
        b'{"statusCode": true}',
        b'{"statusCode": 200, "body": "***", "isBase64Encoded": true}',
        b'{"statusCode": 200, "headers": ["x"]}',
    ],
)
def test_a_malformed_result_is_refused(payload: bytes) -> None:
    with pytest.raises(InvalidResultError):
        response_from_result(payload)


def test_a_route_with_parameters_names_its_key_and_its_parameters() -> None:
    route = RouteTable(("POST /my/{rest+}",)).match("POST", "/my/path")
    assert route is not None
    event = build_event(_request(), "id", "trace", 0.0, route=route)
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "POST /my/{rest+}"
    assert event["pathParameters"] == {"rest": "path"}


def test_the_default_route_has_no_path_parameters() -> None:
    event = build_event(_request(), "id", "trace", 0.0)
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "$default"
    assert "pathParameters" not in event
