"""The HTTP request and response as the adapter sees them, whatever the event kind.

Event sources parse into `HttpRequest` and encode from `HttpResponse`; nothing else crosses.
"""

from __future__ import annotations

import json
from typing import Any


# Plain classes with __slots__: a dataclass would cost a millisecond of every cold start to build.
class HttpRequest:
    """One request, already decoded from its event; `script_name` and `path_info` are PEP 3333 native."""

    __slots__ = (
        "body",
        "domain_name",
        "headers",
        "method",
        "path_info",
        "protocol",
        "query_string",
        "remote_addr",
        "script_name",
    )

    def __init__(
        self,
        *,
        method: str,
        script_name: str,
        path_info: str,
        query_string: str,
        headers: dict[str, str],
        body: bytes,
        remote_addr: str,
        protocol: str,
        domain_name: str,
    ) -> None:
        self.method = method
        self.script_name = script_name
        self.path_info = path_info
        self.query_string = query_string
        self.headers = headers  # lowercase names, repeats already joined
        self.body = body
        self.remote_addr = remote_addr
        self.protocol = protocol
        self.domain_name = domain_name


class HttpResponse:
    """What the app answered: status, headers in order (repeats kept), and the whole body."""

    __slots__ = ("body", "headers", "reason", "status")

    def __init__(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body


def error_body(message: str, **extra: Any) -> bytes:
    """The JSON body of every error the layer answers: `{"message": ..., ...extra}`."""
    return json.dumps({"message": message, **extra}).encode()


def json_error(status: int, reason: str, message: str, **extra: Any) -> HttpResponse:
    """A JSON error response for failures the app never saw (bad events, crashes)."""
    return HttpResponse(status, reason, [("Content-Type", "application/json")], error_body(message, **extra))
