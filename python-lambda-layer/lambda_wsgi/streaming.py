"""Streamed answers: what the app yields leaves as it comes, framed as Lambda's HTTP integration response.

The frame is a JSON prelude (status, headers, cookies), eight NUL bytes, then the body's bytes: what function URLs in
RESPONSE_STREAM mode and REST API integrations in STREAM mode read. Only the layer's own runtime loop can send it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .response import (
    BODILESS,
    ExcInfo,
    HttpResponse,
    WSGIApp,
    checked_headers,
    checked_status,
    folded_headers,
    multi_value_headers,
)
from .settings import EXEC_WRAPPER

if TYPE_CHECKING:
    from .sources.base import EventSource

DELIMITER = b"\0" * 8
# Set by the layer's runtime loop (runtime.py) before the handler loads: awslambdaric alone cannot send a stream.
runtime_streams = False
CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"


class StreamedResponse:
    """The frames of one streamed answer, made as they are read: the prelude and delimiter, then each body chunk.

    `close()` ends the app's iteration, as a client that went away must.
    """

    def __init__(self, frames: Iterator[bytes]) -> None:
        self._frames = frames

    def __iter__(self) -> Iterator[bytes]:
        return self._frames

    def close(self) -> None:
        close = getattr(self._frames, "close", None)
        if close is not None:
            close()


def streamed_kinds(configured: frozenset[str]) -> frozenset[str]:
    """The kinds `LAMBDA_WSGI_STREAM` names, if the runtime loop can stream them; else none, with a warning."""
    if configured and not runtime_streams:
        logging.getLogger("lambda_wsgi").warning(
            "LAMBDA_WSGI_STREAM is set but the function runs without the layer's runtime loop"
            " (AWS_LAMBDA_EXEC_WRAPPER=%s), which alone can stream: every answer is buffered",
            EXEC_WRAPPER,
        )
        return frozenset()
    return configured


def stream_kind(source: EventSource, event: dict[str, Any]) -> str | None:
    """The kind of streaming caller an event may come from, as `LAMBDA_WSGI_STREAM` names it; None: never streamed.

    HTTP APIs cannot stream, and their 1.0 events (which carry a `version`) share the REST source.
    """
    if source.name == "function-url":
        return "function-url"
    if source.name == "rest-api-v1" and "version" not in event:
        return "rest-api"
    return None


def prelude(kind: str, response: HttpResponse) -> bytes:
    """The JSON prelude and the delimiter; `kind` is `function-url` or `rest-api` (which takes repeated headers)."""
    if kind == "rest-api":
        others = [(name, value) for name, value in response.headers if name.lower() != "set-cookie"]
        cookies = [value for name, value in response.headers if name.lower() == "set-cookie"]
        document: dict[str, Any] = {
            "statusCode": response.status,
            "multiValueHeaders": multi_value_headers(others),
            "cookies": cookies,
        }
    else:
        headers, cookies = folded_headers(response.headers)
        document = {"statusCode": response.status, "headers": headers, "cookies": cookies}
    return json.dumps(document).encode() + DELIMITER


def stream_app(
    app: WSGIApp,
    environ: dict[str, Any],
    kind: str,
    on_error: Callable[[BaseException], HttpResponse],
    on_end: Callable[[int], object] | None = None,
) -> StreamedResponse:
    """Run the app as a server that sends as it goes (PEP 3333): the headers leave with the first body bytes.

    Whatever fails before then is answered by `on_error`'s response, whole; after, the exception propagates to the
    runtime loop, which ends the stream with the error trailers. `on_end` hears the status sent, once it is over.
    """
    return StreamedResponse(_frames(app, environ, kind, on_error, on_end))


def _frames(
    app: WSGIApp,
    environ: dict[str, Any],
    kind: str,
    on_error: Callable[[BaseException], HttpResponse],
    on_end: Callable[[int], object] | None,
) -> Iterator[bytes]:
    started: list[tuple[str, list[tuple[str, str]]]] = []
    written: list[bytes] = []
    sent = False

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], object]:
        if exc_info is not None:
            if sent:  # PEP 3333: too late for another status, so the original error goes on
                raise exc_info[1].with_traceback(exc_info[2])
        elif started:
            raise AssertionError("start_response called a second time without exc_info")
        checked_status(status)
        checked_headers(headers)
        started[:] = [(status, headers)]
        return written.append

    iterable = None
    sent_status = 0  # none yet
    try:
        try:
            iterable = app(environ, start_response)
            chunks = iter(iterable)
            first = _next_chunk(chunks, written)
            if not started:
                raise RuntimeError("the WSGI app returned without calling start_response")
        except BaseException as error:  # SystemExit and the like too: raised by the app, they are its failure
            answer = on_error(error)
            sent_status = answer.status
            yield prelude(kind, answer) + answer.body
            return
        status_line, headers = started[0]
        response = HttpResponse(int(status_line[:3]), status_line[4:], headers, b"")
        bodiless = response.status in BODILESS or environ["REQUEST_METHOD"] == "HEAD"
        sent, sent_status = True, response.status
        if bodiless or first is None:
            yield prelude(kind, response)
            return
        yield prelude(kind, response) + first
        for yielded in chunks:  # each as the app yields it, after what it wrote meanwhile
            chunk = b"".join([*written, yielded]) if written else yielded
            written.clear()
            if chunk:
                yield chunk
        if written:
            yield b"".join(written)
    finally:
        close = getattr(iterable, "close", None)
        try:
            if close is not None:
                close()
        finally:
            if on_end is not None:
                on_end(sent_status)


def _next_chunk(chunks: Iterator[bytes], written: list[bytes]) -> bytes | None:
    """The first body bytes (what `write()` took first), or None when the body is empty."""
    for chunk in chunks:
        if written or chunk:
            body = b"".join([*written, chunk])
            written.clear()
            return body
    if written:
        body = b"".join(written)
        written.clear()
        return body
    return None
