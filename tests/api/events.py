"""HTTP API 2.0 events for the users API: decoded paths and a JSON content type by default.

Builds on `tests.conftest.http_event`, which shapes every event like tests/events/http_api_v2.json.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tests import conftest

JSON = "application/json"


def http_event(
    method: str,
    path: str,
    *,
    query: str = "",
    body: str | bytes | None = None,
    content_type: str | None = JSON,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An HTTP API 2.0 event; `path` is decoded text (it is percent-encoded here as a client would)."""
    sent = {"content-type": content_type} if body is not None and content_type is not None else {}
    sent.update(headers or {})
    return conftest.http_event(method, quote(path, safe="/"), query=query, headers=sent, body=body)
