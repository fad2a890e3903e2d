"""The Lambda handler: event → source (sources/<kind>.py) → environ (request.py) → app → result (response.py).

It never raises for an HTTP event: bad events get a 400, whatever the app raises a 500 that names the request id.
"""

from __future__ import annotations

import json
import logging
from time import perf_counter
from typing import TYPE_CHECKING, Any

from .access_log import log_access
from .aws import CHARS_PER_HEADER
from .errors import BadEventError, UnsafeResponseError, UnsupportedEventError
from .response import HttpResponse, WSGIApp, call_app, json_error
from .sources import FallbackSource, find_source, sources
from .sources.path_prefix import clean_prefix
from .sources.shapes import mismatch
from .streaming import StreamedResponse, prelude, stream_app, stream_kind

if TYPE_CHECKING:
    from .request import Environ
    from .sources.base import EventSource, Result

logger = logging.getLogger("lambda_wsgi")


class Adapter:
    """Serves one WSGI app; one instance lives for the whole execution environment."""

    def __init__(self, app: WSGIApp, base_path: str | None = None, access_log: bool = False) -> None:
        self.app = app
        self.base_path = clean_prefix(base_path)
        self.access_log = access_log
        self.sources = sources(self.base_path)
        self._fallback = FallbackSource(self.base_path)
        # How this environment's next invocation starts: "cold" after init, "restore" after a SnapStart restore.
        self._start = "cold"

    def __call__(self, event: Any, context: Any) -> Any:
        """An HTTP event's result; for any other event, what invocations.py answers (any JSON)."""
        start, self._start = self._start, "warm"
        try:
            return self.serve(event, context, start, access_log=self.access_log)
        except UnsupportedEventError as error:
            refusal = error  # answered outside the except, so what the app raises is not chained to it
        from .invocations import answer  # imported by the first non-HTTP event only

        return answer(self.app, event, _request_id(event, context), refusal)

    def restored(self) -> None:
        """Called after a SnapStart restore: the next invocation is the first of a restored environment."""
        self._start = "restore"

    def serve(self, event: Any, context: Any, start: str, *, access_log: bool) -> Result:
        """One event through the whole path; `start` says how the environment started, for the log lines."""
        started = perf_counter() if access_log else 0.0
        try:
            source = find_source(event, self.sources)
        except BadEventError as error:
            return self._fallback.result(json_error(400, "Bad Request", error.message), {})
        request_id = _request_id(event, context)
        environ, response = _environ(source, event, context, request_id)
        if environ is not None:
            try:
                response = call_app(self.app, environ)
            except BaseException as error:
                # SystemExit, KeyboardInterrupt, GeneratorExit too: raised by the app they are its failure, not a signal
                # (Lambda sends none), and a raise out of the handler is a bare 502 and, for SystemExit, a lost
                # environment. A real out-of-memory is the kernel's kill, which no handler can answer.
                response = _failed(error, environ, request_id, start)
        assert response is not None  # _environ answers when it builds no environ
        result = _result(source, response, event, environ, request_id)
        if access_log:
            method, path = _request_line(environ)
            log_access(
                request_id=request_id,
                source=source.name,
                method=method,
                path=path,
                status=result["statusCode"],
                duration_ms=(perf_counter() - started) * 1000,
                start=start,
            )
        return result


class StreamingAdapter(Adapter):
    """Answers the event kinds in `stream` (`function-url`, `rest-api`) with a stream, sent as the app makes it.

    Only the layer's runtime loop (runtime.py) can send one; every other event takes the buffered way.
    """

    def __init__(
        self, app: WSGIApp, stream: frozenset[str], base_path: str | None = None, access_log: bool = False
    ) -> None:
        super().__init__(app, base_path, access_log)
        self.stream = stream

    def __call__(self, event: Any, context: Any) -> Any:
        try:
            source = find_source(event, self.sources)
        except (BadEventError, UnsupportedEventError):  # not an HTTP request: the buffered way knows what to do
            return super().__call__(event, context)
        kind = stream_kind(source, event)
        if kind not in self.stream:
            return super().__call__(event, context)
        start, self._start = self._start, "warm"
        request_id = _request_id(event, context)
        environ, response = _environ(source, event, context, request_id)
        if environ is None:
            assert response is not None
            return StreamedResponse(iter([prelude(kind, response) + response.body]))
        served = environ
        logged = None
        if self.access_log:
            started = perf_counter()

            def logged(status: int) -> None:  # when the stream is over: its whole duration
                method, path = _request_line(served)
                duration_ms = (perf_counter() - started) * 1000
                log_access(
                    request_id=request_id,
                    source=source.name,
                    method=method,
                    path=path,
                    status=status,
                    duration_ms=duration_ms,
                    start=start,
                )

        return stream_app(self.app, environ, kind, lambda error: _failed(error, served, request_id, start), logged)


def _environ(
    source: EventSource, event: Any, context: Any, request_id: str
) -> tuple[Environ, None] | tuple[None, HttpResponse]:
    """The request's environ, or the answer to an event it cannot be made from (a 400, or a 500 that is ours)."""
    try:
        return source.environ(event, context, request_id), None
    except BadEventError as error:
        return None, json_error(400, "Bad Request", error.message)
    except Exception:
        # A field of the wrong type is the event's fault; if every field has its type, the fault is the layer's.
        problem = mismatch(event, source.shape)
        if problem is None:
            logger.exception("the %s event of request id %s could not be read", source.name, request_id)
            return None, _internal_error(request_id)
        return None, json_error(400, "Bad Request", f"malformed {source.name} event: {problem}")


def _failed(error: BaseException, environ: Environ, request_id: str, start: str) -> HttpResponse:
    """Log what went wrong in the app, once, and the 500 that answers it."""
    if isinstance(error, UnsafeResponseError):
        # The app's own fault, and the message says which header: a traceback would only show the server's side.
        logger.error(
            "the app's response to %s %s (request id %s) was not sent: %s", *_request_line(environ), request_id, error
        )
    else:
        logger.error(
            "unhandled exception while serving %s %s (request id %s%s)",
            *_request_line(environ),
            request_id,
            "" if start == "warm" else f", {start} start",
            exc_info=error,
        )
    return _internal_error(request_id)


def _result(
    source: EventSource, response: HttpResponse, event: Any, environ: Environ | None, request_id: str
) -> Result:
    """The result in the source's format; a 500 instead when the app's answer can't be, or is too large."""
    try:
        result = source.result(response, event)
    except Exception:
        # start_response checked the status and headers, so this is the layer's fault: still an answer, never a raise.
        logger.exception(
            "the response to %s %s (request id %s) could not be encoded", *_request_line(environ), request_id
        )
        return source.result(_internal_error(request_id), event)
    # A bound from lengths alone (inline: every request pays it), so only a result near the limit is serialized.
    weight = (
        len(result["body"]) + response.header_chars + len(response.reason) + CHARS_PER_HEADER * len(response.headers)
    )
    limit = source.result_limit
    if weight > limit.surely_fits and (size := _json_size(result)) > limit.max_bytes:
        # Lambda (or ALB) would refuse the result and the client get a bare 502: say why instead.
        logger.error(
            "the response to %s %s (request id %s) is %d bytes as JSON (a %d-character body and %d characters of"
            " headers), over %s",
            *_request_line(environ),
            request_id,
            size,
            len(result["body"]),
            response.header_chars,
            limit.name,
        )
        return source.result(
            json_error(500, "Internal Server Error", "response too large for Lambda", requestId=request_id), event
        )
    return result


def _internal_error(request_id: str) -> HttpResponse:
    return json_error(500, "Internal Server Error", "Internal Server Error", requestId=request_id)


def _json_size(result: Result) -> int:
    """The bytes of the runtime's JSON of `result` (UTF-8, non-ASCII unescaped), which Lambda's limit counts."""
    return len(json.dumps(result, ensure_ascii=False).encode())


def _request_line(environ: Environ | None) -> tuple[str, str]:
    """Method and path for the logs, the path as the text its PEP 3333 native string encodes."""
    if environ is None:  # the event was refused before it became a request
        return "-", "-"
    path: str = environ["SCRIPT_NAME"] + environ["PATH_INFO"]
    if not path.isascii():
        path = path.encode("latin-1").decode("utf-8", "replace")
    return environ["REQUEST_METHOD"], path


def _request_id(event: dict[str, Any], context: Any) -> str:
    """Lambda's request id (the one in the function's logs), else the event's own."""
    request_id = getattr(context, "aws_request_id", None)
    if request_id:
        return str(request_id)
    request_context = event.get("requestContext")
    return str(request_context.get("requestId", "")) if isinstance(request_context, dict) else ""
