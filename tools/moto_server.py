"""A local DynamoDB (moto) that answers one request at a time, as atomically as the real one.

moto's own server is threaded and its TransactWriteItems takes no lock, so concurrent requests
can undo each other's writes; a lock around the whole WSGI call makes every request atomic.
Run it in a thread (`MotoServer`) or as a process: `python -m tools.moto_server --port 0`.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterable
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


class MotoServer:
    """moto on 127.0.0.1 in a background thread; `endpoint` is the URL to give boto3."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        app = serialised(DomainDispatcherApplication(create_backend_app))
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
