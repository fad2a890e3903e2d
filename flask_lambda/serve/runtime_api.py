"""The Lambda Runtime API that one execution environment's `awslambdaric` polls (`AWS_LAMBDA_RUNTIME_API`).

Each environment gets a server of its own, as on Lambda, so every call is known to come from it.
"""

from __future__ import annotations

import base64
import json
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from lambda_wsgi.aws import MAX_INVOKE_PAYLOAD, MAX_STREAMED_RESPONSE

from .wire import BadBodyError, BodyTooLargeError, LocalServer, iter_chunked, read_body, send

_PREFIX = "/2018-06-01/runtime"
_INVOCATION = re.compile(rf"^{_PREFIX}/invocation/(?P<id>[^/]+)/(?P<kind>response|error)$")
# A function's error report can be larger than the response limit allows; it is only logged.
_MAX_ERROR_REPORT = 2 * MAX_INVOKE_PAYLOAD


@dataclass
class Invocation:
    """One event on its way through an environment, and how it ended."""

    request_id: str
    payload: bytes
    timeout: float
    trace_id: str
    function_arn: str
    deadline_ms: int = 0
    result: bytes | None = None
    error: str | None = None
    streamed: bool = False  # the result is Lambda's streaming frame (prelude, eight NULs, body), not JSON
    # Where a streamed response's bytes go as they arrive; without one they are gathered into `result`.
    sink: Callable[[bytes], object] | None = None
    started: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hand_over(self) -> None:
        self.deadline_ms = int((time.time() + self.timeout) * 1000)
        self.started.set()

    def finish(self, *, result: bytes | None = None, error: str | None = None) -> bool:
        """Record the outcome once; later reports (a response after the timeout) change nothing."""
        with self._lock:
            if self.done.is_set():
                return False
            self.result, self.error = result, error
            self.started.set()
            self.done.set()
            return True


class RuntimeApi:
    def __init__(self) -> None:
        self._events: queue.Queue[Invocation | None] = queue.Queue()
        self._current: Invocation | None = None
        self._lock = threading.Lock()
        self.ready_at: float | None = None  # perf_counter() of the first /next: init (or the restore) is over
        self.init_error: str | None = None
        self.restore_error: str | None = None  # what a failed after-restore hook reported (SnapStart)
        self._server = _RuntimeServer(("127.0.0.1", 0), _RuntimeHandler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="runtime-api", daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def deliver(self, invocation: Invocation) -> None:
        self._events.put(invocation)

    def close(self) -> None:
        self._events.put(None)  # wakes a handler waiting in /next
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- called by the request handler ---

    def next_invocation(self) -> Invocation | None:
        if self.ready_at is None:
            self.ready_at = time.perf_counter()
        invocation = self._events.get()
        if invocation is not None:
            with self._lock:
                self._current = invocation
            invocation.hand_over()
        return invocation

    def post_response(self, request_id: str, body: bytes) -> bool:
        invocation = self._take(request_id)
        if invocation is None:
            return False
        if len(body) > MAX_INVOKE_PAYLOAD:
            invocation.finish(
                error=f"Function.ResponseSizeTooLarge: the response is {len(body)} bytes, "
                f"over Lambda's limit of {MAX_INVOKE_PAYLOAD}"
            )
        else:
            invocation.finish(result=body)
        return True

    def take_stream(self, request_id: str) -> Invocation | None:
        """The invocation whose response starts streaming now, or None when no such invocation is open."""
        invocation = self._take(request_id)
        if invocation is not None:
            invocation.streamed = True
        return invocation

    @staticmethod
    def end_stream(invocation: Invocation, body: bytes, trailers: dict[str, str]) -> None:
        """The stream is over: its error trailers, if any, say it failed midway."""
        error_type = trailers.get("lambda-runtime-function-error-type")
        if error_type is None:
            invocation.finish(result=body)
            return
        try:
            report = base64.b64decode(trailers.get("lambda-runtime-function-error-body", ""))
        except ValueError:
            report = b""
        invocation.finish(result=body, error=describe_error(report, error_type))

    def post_error(self, request_id: str, body: bytes, error_type: str | None) -> bool:
        invocation = self._take(request_id)
        if invocation is None:
            return False
        invocation.finish(error=describe_error(body, error_type))
        return True

    def post_init_error(self, body: bytes, error_type: str | None) -> None:
        self.init_error = describe_error(body, error_type)

    def post_restore_error(self, body: bytes, error_type: str | None) -> None:
        self.restore_error = describe_error(body, error_type)

    def _take(self, request_id: str) -> Invocation | None:
        with self._lock:
            invocation = self._current
            if invocation is None or invocation.request_id != request_id:
                return None
            self._current = None
            return invocation


def describe_error(body: bytes, error_type: str | None) -> str:
    """`errorType: errorMessage` from the runtime's error report."""
    try:
        report: Any = json.loads(body)
    except ValueError:
        report = {}
    if not isinstance(report, dict):
        report = {}
    kind = report.get("errorType") or error_type or "Unhandled"
    message = report.get("errorMessage") or body.decode(errors="replace")[:500]
    return f"{kind}: {message}"


class _RuntimeServer(LocalServer):
    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], api: RuntimeApi) -> None:
        super().__init__(address, handler)
        self.api = api


class _RuntimeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _RuntimeServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the Runtime API is plumbing; serve logs requests at the front

    def do_GET(self) -> None:
        if self.path == f"{_PREFIX}/restore/next":
            # SnapStart: the environment is restored by the time it asks; its after-restore hooks run next.
            self._reply(200, {})
            return
        if self.path != f"{_PREFIX}/invocation/next":
            self._reply(404, {"errorMessage": f"unknown path {self.path}", "errorType": "NotFound"})
            return
        invocation = self.server.api.next_invocation()
        if invocation is None:
            self._reply(500, {"errorMessage": "the environment is shutting down", "errorType": "ShuttingDown"})
            return
        headers = [
            ("Content-Type", "application/json"),
            ("Lambda-Runtime-Aws-Request-Id", invocation.request_id),
            ("Lambda-Runtime-Deadline-Ms", str(invocation.deadline_ms)),
            ("Lambda-Runtime-Invoked-Function-Arn", invocation.function_arn),
            ("Lambda-Runtime-Trace-Id", invocation.trace_id),
        ]
        send(self, 200, headers, invocation.payload)

    def do_POST(self) -> None:
        streaming = self.headers.get("Lambda-Runtime-Function-Response-Mode", "").lower() == "streaming"
        match = _INVOCATION.match(self.path)
        if streaming and match is not None and match["kind"] == "response":
            self._stream(match["id"])
            return
        try:
            body = read_body(self.rfile, self.headers, _MAX_ERROR_REPORT)
        except (BodyTooLargeError, BadBodyError) as error:
            self._reply(413, {"errorMessage": str(error) or "payload too large", "errorType": "RequestTooLarge"})
            return
        error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
        api = self.server.api
        if self.path == f"{_PREFIX}/init/error":
            api.post_init_error(body, error_type)
            self._reply(202, {"status": "OK"})
            return
        if self.path == f"{_PREFIX}/restore/error":
            api.post_restore_error(body, error_type)
            self._reply(202, {"status": "OK"})
            return
        if match is None:
            self._reply(404, {"errorMessage": f"unknown path {self.path}", "errorType": "NotFound"})
            return
        request_id = match["id"]
        if match["kind"] == "response":
            known = api.post_response(request_id, body)
        else:
            known = api.post_error(request_id, body, error_type)
        if known:
            self._reply(202, {"status": "OK"})
        else:
            self._reply(400, {"errorMessage": f"no invocation {request_id} is open", "errorType": "InvalidRequestID"})

    def _stream(self, request_id: str) -> None:
        """A response in streaming mode: each chunk goes on as it arrives (to the invocation's sink, if it has one)."""
        invocation = self.server.api.take_stream(request_id)
        if invocation is None:
            self._reply(400, {"errorMessage": f"no invocation {request_id} is open", "errorType": "InvalidRequestID"})
            return
        gathered: list[bytes] = []
        trailers: dict[str, str] = {}
        try:
            for chunk in iter_chunked(self.rfile, MAX_STREAMED_RESPONSE, trailers):
                if invocation.done.is_set():
                    break  # timed out, or its caller went away: what follows goes nowhere
                if invocation.sink is None:
                    gathered.append(chunk)
                else:
                    try:
                        invocation.sink(chunk)
                    except Exception as error:  # a malformed frame, or a caller that went away
                        invocation.finish(error=f"Runtime.StreamError: {error}")
        except BodyTooLargeError:
            invocation.finish(
                error=f"Function.ResponseSizeTooLarge: over the {MAX_STREAMED_RESPONSE}-byte stream limit"
            )
        except (BadBodyError, OSError) as error:
            invocation.finish(error=f"Runtime.StreamError: {error}")
        self.server.api.end_stream(invocation, b"".join(gathered), trailers)
        self._reply(202, {"status": "OK"})

    def _reply(self, status: int, body: dict[str, str]) -> None:
        send(self, status, [("Content-Type", "application/json")], json.dumps(body).encode())
