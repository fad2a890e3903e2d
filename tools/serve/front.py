"""The API Gateway-like front: a threaded HTTP server that invokes the function for every request.

Each request becomes a payload 2.0 event, goes through the pool, and its result is answered as HTTP.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from lambda_wsgi.aws import MAX_HTTP_API_BODY, MAX_INVOKE_PAYLOAD

from . import events
from .authorizer import Authorizer
from .events import IncomingRequest, OutgoingResponse
from .logs import Output
from .pool import Outcome, Pool, PoolClosedError, ThrottledError
from .wire import BadBodyError, BodyTooLargeError, LocalServer, read_body, send


class Gateway:
    """Turns one HTTP request into an invocation and its outcome into the response, and logs it."""

    def __init__(self, pool: Pool, output: Output, authorizer: Authorizer | None = None) -> None:
        self.pool = pool
        self.output = output
        self.authorizer = authorizer

    def close(self) -> None:
        """Stop the environments of the code served now."""
        self.pool.close()

    def handle(self, request: IncomingRequest) -> tuple[OutgoingResponse, dict[str, Any]]:
        now = time.time()
        request_id = events.new_request_id()
        trace_id = events.new_trace_id(now)
        event = events.build_event(request, request_id, trace_id, now)
        fields: dict[str, Any] = {"requestId": request_id, "path": event["rawPath"]}
        if self.authorizer is not None:
            refusal = self.authorizer.refuses(request.headers)
            if refusal is not None:
                fields["error"] = "the request carries no Authorization the route's authorizer accepts"
                return refusal, fields
            event["requestContext"]["authorizer"] = self.authorizer.context
        payload = json.dumps(event, ensure_ascii=False).encode()
        if len(payload) > MAX_INVOKE_PAYLOAD:
            fields["error"] = f"the event is {len(payload)} bytes, over Lambda's limit of {MAX_INVOKE_PAYLOAD}"
            return events.error_response(413, "Request Entity Too Large"), fields
        try:
            outcome = self.pool.invoke(payload, trace_id)
        except ThrottledError:
            fields["error"] = "every environment stayed busy; raise --concurrency"
            return events.error_response(503, "Service Unavailable"), fields
        except PoolClosedError:
            fields["error"] = "serve is stopping"
            return events.error_response(503, "Service Unavailable"), fields
        except OSError as error:
            fields["error"] = f"could not start an environment: {error}"
            return events.error_response(500, "Internal Server Error"), fields
        fields.update(_outcome_fields(outcome))
        return _response(outcome, fields), fields


def _outcome_fields(outcome: Outcome) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "lambdaRequestId": outcome.request_id,
        "environment": outcome.environment,
        "coldStart": outcome.cold,
    }
    if outcome.restored:
        fields["restored"] = True
    if outcome.init_ms is not None:
        fields["restoreDurationMs" if outcome.restored else "initDurationMs"] = outcome.init_ms
    return fields


def _response(outcome: Outcome, fields: dict[str, Any]) -> OutgoingResponse:
    if outcome.error is not None or outcome.result is None:
        fields["error"] = outcome.error or "no result"
        return events.error_response(500, "Internal Server Error")
    try:
        return events.response_from_result(outcome.result)
    except events.InvalidResultError as error:
        fields["error"] = f"malformed Lambda proxy response: {error}"
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
        fields: dict[str, Any] = {"method": self.command, "path": self.path.partition("?")[0]}
        close = False
        try:
            body = read_body(self.rfile, self.headers, MAX_HTTP_API_BODY)
        except BodyTooLargeError:
            response, close = events.error_response(413, "Request Entity Too Large"), True
        except BadBodyError as error:
            response, close = events.error_response(400, "Bad Request"), True
            fields["error"] = str(error)
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
                response, more = gateway.handle(request)
                fields.update(more)
        headers = response.headers
        if "requestId" in fields:
            headers = [*headers, ("apigw-requestid", fields["requestId"])]
        try:
            send(self, response.status, headers, response.body, head_only=self.command == "HEAD", close=close)
        except OSError:
            self.close_connection = True  # the client went away; the access line still tells what happened
        if gateway is not None:
            fields["status"] = response.status
            fields["durationMs"] = round((time.perf_counter() - started) * 1000, 1)
            gateway.output.request(type="request", **_ordered(fields))


def _ordered(fields: dict[str, Any]) -> dict[str, Any]:
    order = ("requestId", "method", "path", "status", "durationMs", "coldStart")
    return {**{key: fields[key] for key in order if key in fields}, **fields}
