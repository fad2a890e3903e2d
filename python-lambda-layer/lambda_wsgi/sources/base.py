"""What every event source provides, and the shapes of the results Lambda expects back.

A source recognises its events, reads one straight into a WSGI environ, and encodes the app's
`HttpResponse` into its own result format. Each is built once, with the adapter's base path.
"""

from __future__ import annotations

from typing import Any, ClassVar, NotRequired, Protocol, TypedDict

from ..aws import ResultLimit
from ..request import Environ
from ..response import HttpResponse

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
    """One kind of HTTP event: recognise it, read it into an environ, answer it in its own format."""

    name: str
    shape: ClassVar[Any]  # the types of the fields it reads (see shapes.py)
    result_limit: ClassVar[ResultLimit]  # what its result's JSON must keep to

    def __init__(self, base_path: str = "") -> None: ...

    def matches(self, event: Event) -> bool: ...

    def environ(self, event: Event, context: Any, request_id: str) -> Environ: ...

    def result(self, response: HttpResponse, event: Event) -> Result: ...
