"""HTTP API payload 2.0 as API Gateway does it: an HTTP request becomes the event, the result becomes HTTP.

Pure functions of data; the rules follow API Gateway's documentation for Lambda proxy integrations.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import string
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from lambda_wsgi.aws import HOP_BY_HOP_HEADERS, gateway_passes_as_text

from .routes import DEFAULT_ROUTE, RouteMatch

# Set by the front itself from the body it sends on.
_RESULT_HEADERS_SKIPPED = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ID_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class IncomingRequest:
    """One HTTP request as the client sent it."""

    method: str
    target: str
    protocol: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    server_port: int


@dataclass(frozen=True)
class OutgoingResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    # A streamed answer's body, sent as it comes after `body` (chunked); it raises StreamAbortedError when the
    # function's stream ended in an error, after which the response can only be cut short.
    more: Generator[bytes] | None = None


class InvalidResultError(Exception):
    """A function result API Gateway could not turn into a response."""


def new_request_id() -> str:
    """An id shaped like API Gateway's (`JKJaXmPLvHcESHA=`), also sent back as `apigw-requestid`."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(15)) + "="


def new_trace_id(now: float) -> str:
    return f"Root=1-{int(now):08x}-{secrets.token_hex(12)}"


def build_event(
    request: IncomingRequest,
    request_id: str,
    trace_id: str,
    now: float,
    *,
    authorizer: dict[str, Any] | None = None,
    route: RouteMatch | None = None,
    function_url: str | None = None,
) -> dict[str, Any]:
    """The event of a request that took `route`; `authorizer` is what its authorizer found (in requestContext).

    With `function_url` (a `<id>.lambda-url.<region>.on.aws` domain), the event a function URL sends instead: no
    routes, its own domain.
    """
    raw_path, raw_query = split_target(request.target)
    route = route or RouteMatch(DEFAULT_ROUTE, {})
    headers, cookies = _event_headers(request, trace_id)
    host = headers.get("host", "").rpartition(":")[0] or headers.get("host", "") or "127.0.0.1"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if raw_query:
        event["queryStringParameters"] = _query_parameters(raw_query)
    if route.path_parameters:
        event["pathParameters"] = route.path_parameters
    event["requestContext"] = {
        "accountId": "000000000000",
        "apiId": "local",
        "domainName": host,
        "domainPrefix": host.split(".")[0],
        "http": {
            "method": request.method,
            "path": unquote(raw_path, errors="replace"),
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route.route_key,
        "stage": "$default",
        "time": _clf_time(now),
        "timeEpoch": int(now * 1000),
    }
    if function_url is not None:
        event["requestContext"].update(domainName=function_url, domainPrefix=function_url.split(".")[0])
        event["requestContext"]["apiId"] = function_url.split(".")[0]
    if authorizer is not None:
        event["requestContext"]["authorizer"] = authorizer
    if request.body:
        content_type = headers.get("content-type", "")
        text = _as_text(request.body) if gateway_passes_as_text(content_type) else None
        event["body"] = text if text is not None else base64.b64encode(request.body).decode("ascii")
        event["isBase64Encoded"] = text is None
    else:
        event["isBase64Encoded"] = False
    return event


def response_from_result(payload: bytes) -> OutgoingResponse:
    """The HTTP response API Gateway makes of a function's result (payload format 2.0)."""
    try:
        result = json.loads(payload)
    except ValueError:
        raise InvalidResultError("the function's result is not JSON") from None
    if not isinstance(result, dict) or "statusCode" not in result:
        # A result without statusCode is the body itself, as JSON with status 200.
        return OutgoingResponse(200, [("content-type", "application/json")], payload)
    status, headers = status_and_headers(result)
    return OutgoingResponse(status, headers, _result_body(result))


def status_and_headers(result: dict[str, Any]) -> tuple[int, list[tuple[str, str]]]:
    """The status and headers of a result, or of a stream's prelude (whose cookies are Set-Cookie headers)."""
    status = result.get("statusCode")
    if type(status) is not int or not 100 <= status <= 599:
        raise InvalidResultError(f"statusCode {status!r} is not an HTTP status code")
    headers = result.get("headers") or {}
    cookies = result.get("cookies") or []
    if not isinstance(headers, dict) or not isinstance(cookies, list):
        raise InvalidResultError("headers must be an object and cookies an array")
    response_headers = [
        (str(name), value if isinstance(value, str) else json.dumps(value))
        for name, value in headers.items()
        if str(name).lower() not in _RESULT_HEADERS_SKIPPED
    ]
    response_headers += [("set-cookie", str(cookie)) for cookie in cookies]
    return status, response_headers


def error_response(status: int, message: str) -> OutgoingResponse:
    """API Gateway's own error answers: `{"message": ...}` as JSON."""
    body = json.dumps({"message": message}).encode()
    return OutgoingResponse(status, [("content-type", "application/json")], body)


def _result_body(result: dict[str, Any]) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        return json.dumps(body).encode()
    if not result.get("isBase64Encoded"):
        return body.encode()
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidResultError("isBase64Encoded is true but the body is not base64") from None


def split_target(target: str) -> tuple[str, str]:
    """rawPath and rawQueryString exactly as sent, also for an absolute-form target."""
    if not target.startswith("/") and "://" in target:
        parts = urlsplit(target)
        return parts.path or "/", parts.query
    path, _, query = target.partition("?")
    return path or "/", query


def _event_headers(request: IncomingRequest, trace_id: str) -> tuple[dict[str, str], list[str]]:
    """Lowercased headers, repeats comma-joined; Cookie headers become the `cookies` array."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        lower = name.lower()
        if lower == "cookie":
            cookies += [cookie.strip() for cookie in value.split(";") if cookie.strip()]
        elif lower not in HOP_BY_HOP_HEADERS:
            headers[lower] = f"{headers[lower]},{value}" if lower in headers else value
    if request.body:
        headers["content-length"] = str(len(request.body))
    forwarded_for = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded_for}, {request.source_ip}" if forwarded_for else request.source_ip
    headers["x-forwarded-port"] = str(request.server_port)
    headers["x-forwarded-proto"] = "http"
    headers.setdefault("x-amzn-trace-id", trace_id)
    return headers, cookies


def _query_parameters(raw_query: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def _as_text(body: bytes) -> str | None:
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


def _clf_time(now: float) -> str:
    """`12/Mar/2020:19:03:58 +0000`, without depending on the locale."""
    moment = time.gmtime(now)
    return (
        f"{moment.tm_mday:02d}/{_MONTHS[moment.tm_mon - 1]}/{moment.tm_year}:{time.strftime('%H:%M:%S', moment)} +0000"
    )
