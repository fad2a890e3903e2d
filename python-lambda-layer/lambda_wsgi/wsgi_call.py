"""Call a WSGI app and collect its whole answer, as PEP 3333 asks of a server.

Lambda returns one payload, so streamed bodies are gathered; `close()` runs whatever happens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from .http import HttpResponse

ExcInfo = tuple[type[BaseException], BaseException, TracebackType]
StartResponse = Callable[[str, list[tuple[str, str]], ExcInfo | None], Callable[[bytes], object]]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# No body allowed: 1xx, 204 No Content, 304 Not Modified (RFC 9110), and any answer to HEAD.
_BODILESS = frozenset({204, 304, *range(100, 200)})


def call_app(app: WSGIApp, environ: dict[str, Any]) -> HttpResponse:
    status_line = ""
    headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []

    def start_response(
        status: str, response_headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], object]:
        nonlocal status_line, headers
        if status_line and exc_info is None:
            raise AssertionError("start_response called a second time without exc_info")
        # Nothing is sent before the app returns, so an error page may always replace the headers.
        status_line, headers = status, response_headers
        return chunks.append

    iterable = app(environ, start_response)
    try:
        for chunk in iterable:
            if chunk:
                chunks.append(chunk)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    if not status_line:
        raise RuntimeError("the WSGI app returned without calling start_response")

    code, _, reason = status_line.partition(" ")
    status = int(code)
    if status in _BODILESS or environ["REQUEST_METHOD"] == "HEAD":
        chunks.clear()
    return HttpResponse(status, reason, headers, b"".join(chunks))
