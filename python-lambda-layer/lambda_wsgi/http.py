"""The HTTP request and response as the adapter sees them, whatever the event kind.

Event sources parse into `HttpRequest` and encode from `HttpResponse`; nothing else crosses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class HttpRequest:
    """One request, already decoded from its event; strings in `path` are PEP 3333 native."""

    method: str
    script_name: str
    path_info: str
    query_string: str
    headers: dict[str, str]
    body: bytes
    remote_addr: str
    protocol: str
    domain_name: str


@dataclass(slots=True)
class HttpResponse:
    """What the app answered: status, headers in order (repeats kept), and the whole body."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


def error_body(message: str, **extra: Any) -> bytes:
    """The JSON body of every error the layer answers: `{"message": ..., ...extra}`."""
    return json.dumps({"message": message, **extra}).encode()


def json_error(status: int, reason: str, message: str, **extra: Any) -> HttpResponse:
    """A JSON error response for failures the app never saw (bad events, crashes)."""
    return HttpResponse(status, reason, [("Content-Type", "application/json")], error_body(message, **extra))
