"""One connection to the front, on h11: strict HTTP/1.1 framing, deadlines, bodies read whole, answers sent whole.

h11 parses each request head and body by RFC 9112 and refuses what it cannot frame for sure (a length that is
not digits, a transfer coding other than `chunked`, a chunk size that is not hex, whitespace before a header's
colon, a missing or repeated Host in HTTP/1.1). The few things it lets through that a proxy in front of serve
could read differently are refused here: a Content-Length repeated or listed, or one beside Transfer-Encoding.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import cast

import h11

from .wire import BodyTooLargeError

# The longest request head taken (request line and headers together).
MAX_HEAD = 65_536
_HEAD_END = re.compile(rb"\n\r?\n")
_CONTENT_LENGTH = re.compile(rb"^content-length:(.*)$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Deadlines:
    """How long a client may take: between two bytes, for a request's head, for the whole request.

    The head's and the request's count from the moment the connection is ready for the request (accepted, or
    the previous answer sent).
    """

    between_bytes: float
    head: float
    request: float


class RefusalError(Exception):
    """The request cannot be served: answered `status` with API Gateway's JSON `message`, the connection closed."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    @property
    def message(self) -> str:
        return HTTPStatus(self.status).phrase


class Connection:
    """Requests read one after the other from `sock`, each answered before the next is read."""

    def __init__(self, sock: socket.socket, deadlines: Deadlines) -> None:
        self._sock = sock
        self._deadlines = deadlines
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        self._received = bytearray()  # this request's head so far (with any bytes that came after it)
        self._reading_head = False
        self._request_by = 0.0
        self._request: h11.Request | None = None

    def next_request(self) -> h11.Request | None:
        """The next request's head, checked; None once the client has closed or left the connection idle."""
        if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
            self._h11.start_next_cycle()
        if self._h11.our_state is not h11.IDLE:
            return None
        now = time.monotonic()
        self._request_by = now + self._deadlines.request
        head_by = min(self._request_by, now + self._deadlines.head)
        self._received = bytearray(self._h11.trailing_data[0])
        self._reading_head = True
        try:
            event = self._next_event(head_by)
        except TimeoutError:
            if not self._received:
                return None  # an idle kept-alive connection: nothing asked, nothing to answer
            raise RefusalError(408, "the request's head did not arrive in time") from None
        if isinstance(event, h11.ConnectionClosed):
            return None
        if not isinstance(event, h11.Request):
            raise RefusalError(400, f"unexpected {type(event).__name__}")
        self._check(event)
        self._reading_head, self._received = False, bytearray()
        self._request = event
        return event

    def read_body(self, limit: int) -> bytes:
        """The request's whole body (chunks joined); BodyTooLargeError past `limit` bytes."""
        length = _content_length(self._request)
        if length is not None and length > limit:
            raise BodyTooLargeError
        if self._h11.they_are_waiting_for_100_continue:
            self._send(h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue"))
        chunks: list[bytes] = []
        total = 0
        while True:
            try:
                event = self._next_event(self._request_by)
            except TimeoutError:
                raise RefusalError(408, "the request's body did not arrive in time") from None
            if isinstance(event, h11.EndOfMessage):
                return b"".join(chunks)
            if not isinstance(event, h11.Data):
                raise RefusalError(400, "the connection closed before the body was complete")
            total += len(event.data)
            if total > limit:
                raise BodyTooLargeError
            chunks.append(bytes(event.data))

    def respond(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        *,
        head_only: bool = False,
        close: bool = False,
    ) -> bool:
        """Send one whole response in one write; whether the connection can take another request.

        One write, not head then body: two small writes meet Nagle's algorithm and the peer's delayed ACK,
        which costs each response 40 ms.
        """
        fields = [(b"Date", formatdate(usegmt=True).encode())]
        fields += [(name.encode("latin-1"), _field_value(value)) for name, value in headers]
        bodiless = status in (204, 304) or status < 200
        if not bodiless:
            fields.append((b"Content-Length", str(len(body)).encode()))
        if close:
            fields.append((b"Connection", b"close"))
        reason = HTTPStatus(status).phrase.encode() if status in HTTPStatus._value2member_map_ else b""
        data = self._h11.send(h11.Response(status_code=status, headers=fields, reason=reason)) or b""
        if body and not (head_only or bodiless):
            data += self._h11.send(h11.Data(data=body)) or b""
        data += self._h11.send(h11.EndOfMessage()) or b""
        self._sock.settimeout(self._deadlines.between_bytes)
        self._sock.sendall(data)
        return self._h11.our_state is h11.DONE

    def respond_streaming(
        self,
        status: int,
        headers: list[tuple[str, str]],
        chunks: Iterator[bytes],
        *,
        head_only: bool = False,
        close: bool = False,
    ) -> bool:
        """Send the head now and each chunk as it comes (chunked, or until the close for an HTTP/1.0 client).

        Whatever `chunks` raises propagates with the response unfinished: the caller closes the connection, which
        is all a client can be told once the status has left.
        """
        fields = [(b"Date", formatdate(usegmt=True).encode())]
        fields += [(name.encode("latin-1"), _field_value(value)) for name, value in headers]
        if close:
            fields.append((b"Connection", b"close"))
        reason = HTTPStatus(status).phrase.encode() if status in HTTPStatus._value2member_map_ else b""
        bodiless = head_only or status in (204, 304) or status < 200
        self._sock.settimeout(self._deadlines.between_bytes)
        self._sock.sendall(self._h11.send(h11.Response(status_code=status, headers=fields, reason=reason)) or b"")
        for chunk in chunks:
            if chunk and not bodiless:
                self._sock.sendall(self._h11.send(h11.Data(data=chunk)) or b"")
        self._sock.sendall(self._h11.send(h11.EndOfMessage()) or b"")
        return self._h11.our_state is h11.DONE

    def refuse(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        """Answer `status` and have the connection closed, whatever state the request left it in."""
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", f"Date: {formatdate(usegmt=True)}"]
        lines += [f"{name}: {value}" for name, value in headers]
        lines += [f"Content-Length: {len(body)}", "Connection: close"]
        self._sock.settimeout(self._deadlines.between_bytes)
        self._sock.sendall("\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + body)

    def _next_event(self, deadline: float) -> h11.Event | type[h11.PAUSED]:
        while True:
            try:
                event = self._h11.next_event()
            except h11.RemoteProtocolError as error:
                status = 431 if error.error_status_hint == 431 else 400
                raise RefusalError(status, f"malformed HTTP/1.1: {error}") from None
            if event is not h11.NEED_DATA:
                return cast(h11.Event | type[h11.PAUSED], event)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self._sock.settimeout(min(self._deadlines.between_bytes, remaining))
            try:
                data = self._sock.recv(65_536)
            except ConnectionError:
                data = b""
            if self._reading_head:
                self._received += data
            self._h11.receive_data(data)

    def _send(self, event: h11.Event) -> None:
        data = self._h11.send(event)
        if data:
            self._sock.settimeout(self._deadlines.between_bytes)
            self._sock.sendall(data)

    def _check(self, request: h11.Request) -> None:
        """What RFC 9112 lets a server accept but serve refuses, lest a proxy before it frame the request otherwise."""
        if request.http_version not in (b"1.0", b"1.1"):
            raise RefusalError(505, f"HTTP/{request.http_version.decode()} is not served")
        end = _HEAD_END.search(self._received)
        head = bytes(self._received[: end.start() if end else len(self._received)])
        lengths = [value.strip() for value in _CONTENT_LENGTH.findall(head)]
        if len(lengths) > 1 or any(b"," in value for value in lengths):
            raise RefusalError(400, "a repeated Content-Length")
        names = {name for name, _ in request.headers}
        if b"content-length" in names and b"transfer-encoding" in names:
            raise RefusalError(400, "both Content-Length and Transfer-Encoding")


def _content_length(request: h11.Request | None) -> int | None:
    """The length a request declares (h11 has checked it is digits, and _check that it is alone)."""
    if request is None:
        return None
    return next((int(value) for name, value in request.headers if name == b"content-length"), None)


def _field_value(value: str) -> bytes:
    # Characters past Latin-1 become `?`; the Gateway has refused control characters already.
    return value.strip(" \t").encode("latin-1", errors="replace")
