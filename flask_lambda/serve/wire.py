"""HTTP/1.1 details of the local servers: their bounded threads, and the Runtime API's bodies and answers.

Both servers are LocalServers. The Runtime API's handler is the stdlib's, which parses the head only: its
bodies are read here, with a size limit. The front reads its requests with h11 (http1.py).
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import sys
import threading
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from typing import Any

_MAX_LINE = 65_536
_BUSY_BODY = b'{"message": "Service Unavailable"}'
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    + f"Content-Length: {len(_BUSY_BODY)}\r\nConnection: close\r\n\r\n".encode()
    + _BUSY_BODY
)


class BodyTooLargeError(Exception):
    pass


class BadBodyError(Exception):
    pass


class LocalServer(ThreadingHTTPServer):
    """A threaded HTTP server with at most `max_connections` handler threads, none holding up the process's exit."""

    daemon_threads = True
    # Many clients connect at once under load; the default backlog of 5 would make them wait or retry.
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], handler: type[socketserver.BaseRequestHandler], *, max_connections: int = 64
    ) -> None:
        super().__init__(address, handler)
        self._slots = threading.BoundedSemaphore(max_connections)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            # Every thread is taken: answer at once, on this thread, instead of starting one more.
            with contextlib.suppress(OSError):
                request.sendall(_BUSY)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (an environment stopped mid-poll, curl interrupted) is no error of the server's.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def read_body(rfile: BufferedIOBase, headers: Message, limit: int) -> bytes:
    coding = headers.get("transfer-encoding")
    if coding is not None:
        if coding.split(",")[-1].strip().lower() != "chunked":
            raise BadBodyError(f"unsupported transfer-encoding {coding!r}")
        return b"".join(iter_chunked(rfile, limit, {}))  # trailer fields: nothing a body carries
    length = headers.get("content-length")
    if length is None:
        return b""
    try:
        size = int(length)
    except ValueError:
        raise BadBodyError(f"content-length {length!r} is not a number") from None
    if size < 0:
        raise BadBodyError("negative content-length")
    if size > limit:
        raise BodyTooLargeError
    body = rfile.read(size)
    if len(body) != size:
        raise BadBodyError("the connection closed before the body was complete")
    return body


def iter_chunked(rfile: BufferedIOBase, limit: int, trailers: dict[str, str]) -> Iterator[bytes]:
    """A chunked body's chunks as they arrive (its trailer fields into `trailers` at the end), up to `limit` bytes."""
    total = 0
    while True:
        line = rfile.readline(_MAX_LINE)
        try:
            size = int(line.split(b";")[0].strip(), 16)
        except ValueError:
            raise BadBodyError("malformed chunk size") from None
        if size == 0:
            while (field := rfile.readline(_MAX_LINE)) not in (b"\r\n", b"\n", b""):
                name, _, value = field.decode("latin-1").partition(":")
                trailers[name.strip().lower()] = value.strip()
            return
        total += size
        if total > limit:
            raise BodyTooLargeError
        chunk = rfile.read(size)
        if len(chunk) != size:
            raise BadBodyError("the connection closed inside a chunk")
        rfile.readline(_MAX_LINE)
        yield chunk


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    head_only: bool = False,
    close: bool = False,
) -> None:
    """Write one whole response (status line, Date, the headers, Content-Length, the body) in one send.

    One write, not the stdlib's head-then-body: two small writes meet Nagle's algorithm and the
    peer's delayed ACK, which costs each response 40 ms.
    """
    reason = handler.responses.get(status, ("",))[0]
    lines = [f"{handler.protocol_version} {status} {reason}", f"Date: {handler.date_time_string()}"]
    lines += [f"{name}: {_clean(value)}" for name, value in headers]
    bodiless = status in (204, 304) or status < 200
    if not bodiless:
        lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
        handler.close_connection = True
    head = "\r\n".join(lines).encode("latin-1", errors="replace") + b"\r\n\r\n"
    handler.wfile.write(head if head_only or bodiless else head + body)
    handler.wfile.flush()


def _clean(value: str) -> str:
    """A header value that cannot end the header early (no CR or LF from the function's result)."""
    return value.replace("\r", " ").replace("\n", " ")
