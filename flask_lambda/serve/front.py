"""The API Gateway-like front: a threaded HTTP server that invokes the function for every request.

Each request the route's authorizer lets through becomes a payload 2.0 event, goes through the pool, and its
result is answered as HTTP.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Generator
from typing import cast

import h11

from lambda_wsgi.aws import MAX_HTTP_API_BODY, MAX_INVOKE_PAYLOAD

from . import events
from .access import AccessLine
from .authorizer import Authorizer
from .events import IncomingRequest, OutgoingResponse
from .host import ServedCode
from .http1 import Connection, Deadlines, RefusalError
from .invoke_api import InvokeApi
from .logs import Output
from .pool import Outcome, PoolClosedError, ThrottledError
from .routes import DEFAULT_ROUTE, RouteTable
from .streams import StreamAbortedError, StreamRelay
from .wire import BodyTooLargeError, LocalServer


class Gateway:
    """Turns one HTTP request into an invocation of the code served now, and its outcome into the response."""

    def __init__(
        self,
        code: ServedCode,
        output: Output,
        authorizer: Authorizer | None = None,
        routes: RouteTable | None = None,
        invoke_api: InvokeApi | None = None,
        *,
        function_url: str | None = None,
    ) -> None:
        """With `function_url` (its domain), serve plays a function URL in RESPONSE_STREAM mode, not an HTTP API."""
        self._code = code
        self.function_url = function_url
        self.invoke_api = invoke_api
        self._lock = threading.Lock()
        self.output = output
        self.authorizer = authorizer
        self.routes = routes or RouteTable((DEFAULT_ROUTE,))

    def swap(self, code: ServedCode) -> ServedCode:
        """Serve `code` from the next request on; returns the code served until now, for the caller to retire."""
        with self._lock:
            old, self._code = self._code, code
        return old

    def close(self) -> None:
        """Stop the environments of the code served now."""
        with self._lock:
            code = self._code
        code.close()

    def handle(self, request: IncomingRequest, line: AccessLine) -> OutgoingResponse:
        """The response to `request`; what happened on the way goes into its access `line`."""
        if self.invoke_api is not None and self.invoke_api.takes(request):
            # A Lambda API call (invoke_api.py), not an HTTP API request: no route or authorizer applies.
            with self._lock:
                pool = self._code.pool
            return self.invoke_api.handle(request, line, pool)
        now = time.time()
        line.request_id = events.new_request_id()
        # A function URL has no routes: every request reaches the function.
        route = self.routes.match(request.method, events.split_target(request.target)[0])
        if self.function_url is not None:
            route = None
        elif route is None:
            # API Gateway's own answer for a path no route takes: the function never sees it.
            line.error = "no route matches the request"
            return events.error_response(404, "Not Found")
        if self.authorizer is not None:
            # As API Gateway does, a request the route's authorizer refuses never becomes an event.
            refusal = self.authorizer.refuses(request.headers)
            if refusal is not None:
                line.error = "the request carries no Authorization the route's authorizer accepts"
                return refusal
        trace_id = events.new_trace_id(now)
        context = self.authorizer.context if self.authorizer is not None else None
        event = events.build_event(
            request, line.request_id, trace_id, now, authorizer=context, route=route, function_url=self.function_url
        )
        payload = json.dumps(event, ensure_ascii=False).encode()
        if len(payload) > MAX_INVOKE_PAYLOAD:
            line.error = f"the event is {len(payload)} bytes, over Lambda's limit of {MAX_INVOKE_PAYLOAD}"
            return events.error_response(413, "Request Entity Too Large")
        with self._lock:
            pool = self._code.pool
        if self.function_url is not None:
            return self._streamed(StreamRelay(lambda sink: pool.invoke(payload, trace_id, sink=sink)), line)
        try:
            outcome = pool.invoke(payload, trace_id)
        except (ThrottledError, PoolClosedError, OSError) as error:
            return _not_invoked(error, line)
        return _answer(outcome, line)

    def _streamed(self, relay: StreamRelay, line: AccessLine) -> OutgoingResponse:
        """The head as soon as the function's prelude arrives, then its body as it comes."""
        prelude = relay.first()
        if prelude is None:  # no stream: an answer the function did not stream, or an invocation that failed
            if relay.error is not None:
                return _not_invoked(relay.error, line)
            assert relay.outcome is not None
            return _answer(relay.outcome, line)
        try:
            status, headers = events.status_and_headers(prelude)
        except events.InvalidResultError as error:
            relay.stop()
            line.error = f"malformed streamed response: {error}"
            return events.error_response(502, "Internal Server Error")
        name = unsendable_header(headers)
        if name is not None:
            relay.stop()
            line.error = f"malformed streamed response: header {name!r} has a character no HTTP header may carry"
            return events.error_response(502, "Internal Server Error")

        def body() -> Generator[bytes]:
            try:
                yield from relay.body()
            except StreamAbortedError as error:
                line.error = f"the stream ended early: {error}"
                raise
            finally:
                relay.stop()  # a client that went away stops the function's stream too
                line.outcome = relay.outcome

        return events.OutgoingResponse(status, headers, more=body())


def _not_invoked(error: BaseException, line: AccessLine) -> OutgoingResponse:
    """What API Gateway answers when the function could not be invoked at all."""
    if isinstance(error, ThrottledError):
        line.error = "every environment stayed busy; raise --concurrency"
        return events.error_response(503, "Service Unavailable")
    if isinstance(error, PoolClosedError):
        line.error = "serve is stopping"
        return events.error_response(503, "Service Unavailable")
    if isinstance(error, OSError):
        line.error = f"could not start an environment: {error}"
        return events.error_response(500, "Internal Server Error")
    raise error


def _answer(outcome: Outcome, line: AccessLine) -> OutgoingResponse:
    """The HTTP response API Gateway makes of an invocation's outcome."""
    line.outcome = outcome
    if outcome.error is not None or outcome.result is None:
        line.error = outcome.error or "no result"
        return events.error_response(500, "Internal Server Error")
    # API Gateway answers a result it cannot turn into a response 502, and so does serve.
    try:
        response = events.response_from_result(outcome.result)
    except events.InvalidResultError as error:
        line.error = f"malformed Lambda proxy response: {error}"
        return events.error_response(502, "Internal Server Error")
    name = unsendable_header(response.headers)
    if name is not None:
        # A CR or LF would end the header early and let the result write headers (or a response) of its own.
        line.error = f"malformed Lambda proxy response: header {name!r} has a character no HTTP header may carry"
        return events.error_response(502, "Internal Server Error")
    return response


# A client that sends nothing for this long, mid-request, gets 408; an idle kept-alive connection is closed.
CLIENT_TIMEOUT = 5.0
# A request's head must have arrived this long after the connection was ready for it, and its body too within
# REQUEST_TIMEOUT: a client trickling a byte at a time cannot hold a connection (and its thread) for longer.
HEAD_TIMEOUT = 10.0
REQUEST_TIMEOUT = 30.0
# Connections served at once, each on a thread; more are answered 503 at once rather than given a thread.
MAX_CONNECTIONS = 64


class FrontServer(LocalServer):
    def __init__(
        self,
        address: tuple[str, int],
        gateway: Callable[[], Gateway | None],
        *,
        client_timeout: float = CLIENT_TIMEOUT,
        head_timeout: float = HEAD_TIMEOUT,
        request_timeout: float = REQUEST_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        super().__init__(address, FrontHandler, max_connections=max_connections)
        self.gateway = gateway
        self.deadlines = Deadlines(between_bytes=client_timeout, head=head_timeout, request=request_timeout)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def serves_host(self, values: list[str]) -> bool:
        """Whether a request's Host headers are exactly one, naming the address serve listens on.

        Any other name could be a web page's own, pointed at 127.0.0.1 by DNS rebinding.
        """
        return len(values) == 1 and values[0].lower() in {
            f"{name}:{self.port}" for name in ("127.0.0.1", "localhost", "[::1]")
        }


class FrontHandler(socketserver.BaseRequestHandler):
    server: FrontServer

    def handle(self) -> None:
        connection = Connection(cast(socket.socket, self.request), self.server.deadlines)
        try:
            while (request := connection.next_request()) is not None:
                if not self._serve(connection, request):
                    return
        except RefusalError as refusal:
            _refuse(connection, refusal.status, refusal.message)
        except (OSError, h11.LocalProtocolError):
            pass  # the client went away, or left nothing a response could follow

    def _serve(self, connection: Connection, request: h11.Request) -> bool:
        """Answer `request`; whether the connection takes another one."""
        started = time.perf_counter()
        gateway = self.server.gateway()
        method, target = request.method.decode("ascii"), request.target.decode("latin-1")
        line = AccessLine(method=method, path=events.split_target(target)[0])
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw_items()]
        close = False
        try:
            if not self.server.serves_host([value for name, value in headers if name.lower() == "host"]):
                raise RefusalError(400, "the Host header does not name serve's address")
            body = connection.read_body(MAX_HTTP_API_BODY)
        except BodyTooLargeError:
            response, close = events.error_response(413, "Request Entity Too Large"), True
        except RefusalError as refusal:
            line.error = refusal.reason
            with contextlib.suppress(OSError):
                _refuse(connection, refusal.status, refusal.message)
            self._record(gateway, line, refusal.status, started)
            return False
        else:
            if gateway is None:
                response = events.error_response(503, "Service Unavailable")
            else:
                incoming = IncomingRequest(
                    method=method,
                    target=target,
                    protocol=f"HTTP/{request.http_version.decode()}",
                    headers=headers,
                    body=body,
                    source_ip=self.client_address[0],
                    server_port=self.server.port,
                )
                response = gateway.handle(incoming, line)
        response_headers = response.headers
        if line.request_id is not None:
            response_headers = [*response_headers, ("apigw-requestid", line.request_id)]
        try:
            if response.more is not None:
                more = connection.respond_streaming(
                    response.status, response_headers, response.more, head_only=method == "HEAD", close=close
                )
            else:
                more = connection.respond(
                    response.status, response_headers, response.body, head_only=method == "HEAD", close=close
                )
        except (OSError, StreamAbortedError):
            more = False  # the client went away, or the stream ended early; the access line tells what happened
        finally:
            if response.more is not None:
                response.more.close()  # a client that went away: the function's stream stops too
        self._record(gateway, line, response.status, started)
        return more

    @staticmethod
    def _record(gateway: Gateway | None, line: AccessLine, status: int, started: float) -> None:
        if gateway is not None:
            line.status = status
            line.duration_ms = round((time.perf_counter() - started) * 1000, 1)
            gateway.output.record("request", **line.fields())


def _refuse(connection: Connection, status: int, message: str) -> None:
    response = events.error_response(status, message)
    connection.refuse(status, response.headers, response.body)


def unsendable_header(headers: list[tuple[str, str]]) -> str | None:
    """The first header no HTTP response can carry as it is (a name that is no token, a control character)."""
    for name, value in headers:
        if not _TOKEN.fullmatch(name) or _CONTROL.search(value):
            return name
    return None


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
