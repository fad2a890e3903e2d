"""The API Gateway-like front: a threaded HTTP server that invokes the function for every request.

Each request the route's authorizer lets through becomes a payload 2.0 event, goes through the pool, and its
result is answered as HTTP.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from lambda_wsgi.aws import MAX_HTTP_API_BODY, MAX_INVOKE_PAYLOAD

from . import events
from .access import AccessLine
from .authorizer import Authorizer
from .events import IncomingRequest, OutgoingResponse
from .host import ServedCode
from .logs import Output
from .pool import PoolClosedError, ThrottledError
from .routes import DEFAULT_ROUTE, RouteTable
from .wire import BadBodyError, BodyTooLargeError, LocalServer, read_body, send


class Gateway:
    """Turns one HTTP request into an invocation of the code served now, and its outcome into the response."""

    def __init__(
        self,
        code: ServedCode,
        output: Output,
        authorizer: Authorizer | None = None,
        routes: RouteTable | None = None,
    ) -> None:
        self._code = code
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
        now = time.time()
        line.request_id = events.new_request_id()
        route = self.routes.match(request.method, events.split_target(request.target)[0])
        if route is None:
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
        event = events.build_event(request, line.request_id, trace_id, now, authorizer=context, route=route)
        payload = json.dumps(event, ensure_ascii=False).encode()
        if len(payload) > MAX_INVOKE_PAYLOAD:
            line.error = f"the event is {len(payload)} bytes, over Lambda's limit of {MAX_INVOKE_PAYLOAD}"
            return events.error_response(413, "Request Entity Too Large")
        with self._lock:
            pool = self._code.pool
        try:
            outcome = pool.invoke(payload, trace_id)
        except ThrottledError:
            line.error = "every environment stayed busy; raise --concurrency"
            return events.error_response(503, "Service Unavailable")
        except PoolClosedError:
            line.error = "serve is stopping"
            return events.error_response(503, "Service Unavailable")
        except OSError as error:
            line.error = f"could not start an environment: {error}"
            return events.error_response(500, "Internal Server Error")
        line.outcome = outcome
        if outcome.error is not None or outcome.result is None:
            line.error = outcome.error or "no result"
            return events.error_response(500, "Internal Server Error")
        try:
            return events.response_from_result(outcome.result)
        except events.InvalidResultError as error:
            line.error = f"malformed Lambda proxy response: {error}"
            return events.error_response(500, "Internal Server Error")


# A client that sends nothing for this long, mid-request, gets 408; an idle kept-alive connection is closed.
CLIENT_TIMEOUT = 5.0
# Connections served at once, each on a thread; more are answered 503 at once rather than given a thread.
MAX_CONNECTIONS = 64


class FrontServer(LocalServer):
    def __init__(
        self,
        address: tuple[str, int],
        gateway: Callable[[], Gateway | None],
        *,
        client_timeout: float = CLIENT_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        super().__init__(address, FrontHandler, max_connections=max_connections)
        self.gateway = gateway
        self.client_timeout = client_timeout

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class FrontHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FrontServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.client_timeout)  # every read and write on this connection

    def handle_one_request(self) -> None:
        """The stdlib's, except that a client stalling mid-request gets 408 rather than a silent close."""
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except (TimeoutError, ConnectionError):  # an idle kept-alive connection: nothing asked, nothing to answer
            self.close_connection = True
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        try:
            if len(self.raw_requestline) > 65536:
                self.send_error(414, "Request-URI Too Long")
            elif self.parse_request():  # answers malformed requests itself, through send_error
                getattr(self, "do_" + self.command)()
        except TimeoutError:
            self._refuse(408, "Request Timeout")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Whatever the request line was, the answer is HTTP/1.1 with a status line (never an HTTP/0.9 page).
        self.request_version = self.protocol_version
        self._refuse(code, message or self.responses.get(code, ("Error",))[0])

    def _refuse(self, status: int, message: str) -> None:
        try:
            response = events.error_response(status, message)
            send(self, status, response.headers, response.body, close=True)
        except OSError:
            self.close_connection = True

    def __getattr__(self, name: str) -> Any:
        # Any method reaches the function, as on a `$default` route: do_GET, do_PROPFIND, ...
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # replaced by the JSON access line

    def _serve(self) -> None:
        started = time.perf_counter()
        gateway = self.server.gateway()
        line = AccessLine(method=self.command, path=events.split_target(self.path)[0])
        close = False
        try:
            body = read_body(self.rfile, self.headers, MAX_HTTP_API_BODY)
        except BodyTooLargeError:
            response, close = events.error_response(413, "Request Entity Too Large"), True
        except BadBodyError as error:
            response, close = events.error_response(400, "Bad Request"), True
            line.error = str(error)
        else:
            if gateway is None:
                response = events.error_response(503, "Service Unavailable")
            else:
                request = IncomingRequest(
                    method=self.command,
                    target=self.path,
                    protocol=self.request_version,
                    headers=list(self.headers.items()),
                    body=body,
                    source_ip=self.client_address[0],
                    server_port=self.server.port,
                )
                response = gateway.handle(request, line)
        headers = response.headers
        if line.request_id is not None:
            headers = [*headers, ("apigw-requestid", line.request_id)]
        try:
            send(self, response.status, headers, response.body, head_only=self.command == "HEAD", close=close)
        except OSError:
            self.close_connection = True  # the client went away; the access line still tells what happened
        if gateway is not None:
            line.status = response.status
            line.duration_ms = round((time.perf_counter() - started) * 1000, 1)
            gateway.output.record("request", **line.fields())
