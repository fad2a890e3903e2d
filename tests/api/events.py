"""Build HTTP API 2.0 events for the users API from the real-shaped tests/events/http_api_v2.json.

Sets what a client controls (method, path, query, headers, body); the rest stays as API Gateway sends it.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, quote

from tests.conftest import load_event

JSON = "application/json"
# Headers of the fixture that describe its own request rather than any request.
_FIXTURE_ONLY = frozenset({"content-type", "content-length"})


def http_event(
    method: str,
    path: str,
    *,
    query: str = "",
    body: str | bytes | None = None,
    content_type: str | None = JSON,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An HTTP API 2.0 event; `path` is decoded text (it is percent-encoded here as a client would).

    A `bytes` body travels base64-encoded, as API Gateway sends binary bodies.
    """
    event: dict[str, Any] = load_event("http_api_v2")
    raw_path = quote(path, safe="/")
    event_headers = {name: value for name, value in event["headers"].items() if name not in _FIXTURE_ONLY}
    if body is not None and content_type is not None:
        event_headers["content-type"] = content_type
    event_headers.update({name.lower(): value for name, value in (headers or {}).items()})
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        # API Gateway joins repeated parameters with commas here; rawQueryString keeps them apart.
        parameters[name] = parameters[name] + "," + value if name in parameters else value
    event.update(
        rawPath=raw_path,
        rawQueryString=query,
        headers=event_headers,
        routeKey="$default",
        pathParameters={},
    )
    if parameters:
        event["queryStringParameters"] = parameters
    else:
        event.pop("queryStringParameters", None)
    event.pop("cookies", None)
    if body is None:
        event.pop("body", None)
        event["isBase64Encoded"] = False
    elif isinstance(body, bytes):
        event["body"] = base64.b64encode(body).decode("ascii")
        event["isBase64Encoded"] = True
    else:
        event["body"] = body
        event["isBase64Encoded"] = False
    context = event["requestContext"]
    context["http"]["method"] = method.upper()
    context["http"]["path"] = raw_path
    context["requestId"] = uuid.uuid4().hex[:16]
    context["timeEpoch"] = int(time.time() * 1000)
    return event
