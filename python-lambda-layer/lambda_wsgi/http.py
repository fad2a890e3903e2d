"""The app's answer as the adapter sees it, whatever the event kind, and the layer's own JSON errors.

Event sources encode their results from `HttpResponse`; requests cross as the WSGI environ itself.
"""

from __future__ import annotations

import json
from typing import Any


# A plain class with __slots__: a dataclass would cost a millisecond of every cold start to build.
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
