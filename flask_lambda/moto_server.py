"""A local DynamoDB (moto) that answers one request at a time, as atomically as the real one.

moto's own server is threaded and its TransactWriteItems takes no lock, so concurrent requests
can undo each other's writes; a lock around the whole WSGI call makes every request atomic.
moto also ignores TransactWriteItems' ClientRequestToken, which DynamoDB honours: `IdempotentTransactions`
honours it here too, so a retried transaction behaves locally as it does on AWS.
Run it in a thread (`MotoServer`) or as a process: `python -m flask_lambda.moto_server --port 0`.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import signal
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def serialised(app: WSGIApp) -> WSGIApp:
    """Run each request to completion, body included, while holding one lock."""
    lock = threading.Lock()

    def locked_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with lock:
            iterable = app(environ, start_response)
            try:
                return [b"".join(iterable)]
            finally:
                close = getattr(iterable, "close", None)
                if close is not None:
                    close()

    return locked_app


# How long DynamoDB remembers a transaction's ClientRequestToken after the transaction completed.
TOKEN_LIFETIME_SECONDS = 600
_TRANSACT_TARGET = "DynamoDB_20120810.TransactWriteItems"
_RESET_PATH = "/moto-api/reset"


@dataclass(frozen=True)
class _Done:
    digest: str  # of the request, token left out
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    at: float


class IdempotentTransactions:
    """TransactWriteItems' ClientRequestToken, as DynamoDB honours it (moto ignores it).

    For TOKEN_LIFETIME_SECONDS after a transaction with a token succeeded, the same token on the same request is
    answered with that success again, without applying anything; on a different request it is a 400
    IdempotentParameterMismatchException. A failed transaction leaves nothing behind: a retry runs it anew. Wrap the
    app with `serialised` too, which makes the check, the transaction and the record of it one atomic step.
    """

    def __init__(self, app: WSGIApp, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.clock = clock
        self._done: dict[str, _Done] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == _RESET_PATH:
            self._done.clear()
        if environ.get("HTTP_X_AMZ_TARGET") != _TRANSACT_TARGET:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        token = request.pop("ClientRequestToken", None) if isinstance(request, dict) else None
        if not isinstance(token, str):
            return self.app(environ, start_response)
        digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
        self._forget_expired(self.clock())
        done = self._done.get(token)
        if done is not None:
            if done.digest != digest:
                return _mismatch(start_response)
            start_response(done.status, list(done.headers))
            return [done.body]
        answer: dict[str, Any] = {}

        def record(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], object]:
            answer.update(status=status, headers=list(headers))
            write: Callable[[bytes], object] = start_response(status, headers, exc_info)
            return write

        iterable = self.app(environ, record)
        try:
            content = b"".join(iterable)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
        if answer.get("status", "").startswith("200"):
            self._done[token] = _Done(digest, answer["status"], answer["headers"], content, self.clock())
        return [content]

    def _forget_expired(self, now: float) -> None:
        # Recorded as they completed, so the oldest come first: a long run costs no more per request than a short one.
        while self._done:
            oldest = next(iter(self._done))
            if now - self._done[oldest].at < TOKEN_LIFETIME_SECONDS:
                return
            del self._done[oldest]


def _mismatch(start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
            "message": "The request uses the same client token as a previous, but non-identical request.",
        }
    ).encode()
    start_response(
        "400 Bad Request",
        [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(body)))],
    )
    return [body]


class MotoServer:
    """moto on 127.0.0.1 in a background thread; `endpoint` is the URL to give boto3."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", clock: Callable[[], float] = time.monotonic) -> None:
        """`clock` times how long transactions' client request tokens are remembered."""
        app = serialised(IdempotentTransactions(DomainDispatcherApplication(create_backend_app), clock))
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        self._thread.start()
        return self

    def reset(self) -> None:
        """Forget every resource, as a fresh server would."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).close()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args()
    server = MotoServer(args.port)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.stop).start())
    # One JSON line on stdout tells a parent process where the server listens.
    print(json.dumps({"endpoint": server.endpoint, "port": server.port}), flush=True)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
