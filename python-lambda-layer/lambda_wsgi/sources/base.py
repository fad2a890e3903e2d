"""What every event source provides, and the shapes of the results Lambda expects back.

A source recognises its events, parses one into an `HttpRequest`, and encodes an `HttpResponse`
into its own result format.
"""

from __future__ import annotations

from typing import Any, NotRequired, Protocol, TypedDict

from ..http import HttpRequest, HttpResponse

Event = dict[str, Any]


class V2Result(TypedDict):
    """HTTP API payload 2.0 and function URL result."""

    statusCode: int
    headers: dict[str, str]
    cookies: list[str]
    body: str
    isBase64Encoded: bool


class V1Result(TypedDict):
    """REST API and HTTP API payload 1.0 result."""

    statusCode: int
    multiValueHeaders: dict[str, list[str]]
    body: str
    isBase64Encoded: bool


class AlbResult(TypedDict):
    """Application Load Balancer result, in single- or multi-value header mode."""

    statusCode: int
    statusDescription: str
    headers: NotRequired[dict[str, str]]
    multiValueHeaders: NotRequired[dict[str, list[str]]]
    body: str
    isBase64Encoded: bool


Result = V2Result | V1Result | AlbResult


class EventSource(Protocol):
    """One kind of HTTP event: recognise it, parse it, answer it in its own format."""

    name: str

    def matches(self, event: Event) -> bool: ...

    def parse(self, event: Event, base_path: str) -> HttpRequest: ...

    def result(self, response: HttpResponse, event: Event) -> Result: ...
