"""Event sources, tried in order: the first whose `matches` says yes handles the event.

Adding an event kind is adding one module here and one entry in `SOURCE_KINDS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import BadEventError, UnsupportedEventError
from .alb import Alb
from .http_api_v2 import FunctionUrl, HttpApiV2
from .rest_api_v1 import RestApiV1

if TYPE_CHECKING:
    from .base import Event, EventSource

__all__ = ["SOURCE_KINDS", "Event", "EventSource", "FallbackSource", "Result", "find_source", "sources"]

# The 2.0 schema first: nearly every request is one. Function URLs before HTTP API, whose test they also pass;
# ALB before REST, as both carry httpMethod.
SOURCE_KINDS: tuple[type[EventSource], ...] = (FunctionUrl, HttpApiV2, Alb, RestApiV1)
# Answers what fits no source's shape (an event that is not even an object) in the most common format.
FallbackSource = HttpApiV2
ACCEPTED = (
    "API Gateway HTTP API (payload 2.0 or 1.0), API Gateway REST API proxy, "
    "Lambda function URL or Application Load Balancer events"
)


def sources(base_path: str = "") -> tuple[EventSource, ...]:
    """One source of each kind, configured with the adapter's base path."""
    return tuple(kind(base_path) for kind in SOURCE_KINDS)


def find_source(event: Any, candidates: tuple[EventSource, ...]) -> EventSource:
    """The source of an HTTP event; `BadEventError` for a non-object, else an error naming it."""
    if not isinstance(event, dict):
        raise BadEventError(f"the event must be a JSON object, not {type(event).__name__}")
    for source in candidates:
        if source.matches(event):
            return source
    raise UnsupportedEventError(
        f"this function handles HTTP requests only ({ACCEPTED}), but received {describe(event)}"
    )


def describe(event: Event) -> str:
    """Name a non-HTTP event as precisely as its shape allows."""
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        first = records[0]
        origin = first.get("eventSource") or first.get("EventSource") or "unknown source"
        return f"a {origin} event with {len(records)} record(s)"
    if "detail-type" in event and "source" in event:
        return f"an EventBridge event ({event['source']}, {event['detail-type']!r})"
    keys = ", ".join(sorted(map(str, event))[:10]) or "no keys"
    return f"an object with keys: {keys}"
