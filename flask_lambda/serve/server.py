"""`serve(options)`: listen, start the function, serve it until Ctrl-C or SIGTERM, stop everything started.

Everything started here is stopped here, in reverse order, however serve ends.
"""

from __future__ import annotations

import contextlib
import errno
import signal
import threading
from pathlib import Path
from types import FrameType

from .authorizer import Authorizer
from .front import FrontServer, Gateway
from .function import ServeError, Store
from .host import FunctionHost
from .invoke_api import InvokeApi
from .logs import Output
from .options import FunctionOptions, ServeOptions
from .routes import RouteTable
from .watch import Reloader, Watcher, watched_sources

HOST = "127.0.0.1"


class _InterruptedError(Exception):
    pass


def serve(options: ServeOptions, output: Output) -> None:
    """Serve until Ctrl-C or SIGTERM (from the main thread, which handles both); `ServeError` if it cannot start."""
    signals = _Signals()
    signals.install()
    try:
        with contextlib.ExitStack() as stack:
            _serve(options, output, signals, stack)
    except (_InterruptedError, KeyboardInterrupt):
        pass


def _serve(options: ServeOptions, output: Output, signals: _Signals, stack: contextlib.ExitStack) -> None:
    server = _bind(options.port)
    stack.callback(server.server_close)
    host = stack.enter_context(FunctionHost(options.function, output, concurrency=options.concurrency, name="serve"))
    code = host.start()
    invoke_api = InvokeApi(options.function.name, options.function.region, output)
    function_url = function_url_domain(options.function) if options.function.stream else None
    gateway = Gateway(
        code, output, options.authorizer, RouteTable(options.routes), invoke_api, function_url=function_url
    )
    stack.callback(gateway.close)
    if options.watch:
        reloader = Reloader(host, gateway)
        watcher = Watcher(watched_sources(options.function), reloader.reload)
        watcher.start()
        stack.callback(reloader.stop)
        stack.callback(watcher.stop)
    server.gateway = lambda: gateway
    _announce(output, options, host.store, code.layout.root, f"http://{HOST}:{server.port}")
    signals.serving(server)
    server.serve_forever(poll_interval=0.2)
    signals.stopping()


def _announce(output: Output, options: ServeOptions, store: Store, root: Path, url: str) -> None:
    """The lines for the person running serve, then the one for programs that wait for serve to be ready."""
    table = options.function.table
    if store.endpoint:
        where = "embedded (moto)" if store.embedded else "at"
        created = f", table {table.name!r} ({'created' if store.created else 'existing'})" if table else ""
        output.say(f"DynamoDB: {where} {store.endpoint}{created}")
    output.say(f"Lambda layout: {root} (layer in opt/, function in var/task/), concurrency {options.concurrency}")
    if options.authorizer is not None:
        output.say(f"Authorization: {options.authorizer.description}")
    if options.function.stream:
        output.say(f"Serving the streaming function URL at {url}  (Ctrl-C to stop)")
        output.say(f"Try: curl -N{_authorization(options.authorizer)} {url}/")
    else:
        output.say(f"Serving the API at {url}  (Ctrl-C to stop)")
        output.say(f"Try: {try_command(url, RouteTable(options.routes), options.authorizer)}")
    output.say(f"Lambda's Invoke API for {options.function.name!r}: aws lambda invoke --endpoint-url {url} ...")
    output.record("ready", url=url)


def try_command(url: str, routes: RouteTable, authorization: Authorizer | None) -> str:
    """A first curl that reaches the function: its first plain GET route, or its root."""
    return f"curl -i{_authorization(authorization)} {url}{routes.first_get_path() or '/'}"


def _authorization(authorization: Authorizer | None) -> str:
    return f" -H 'authorization: {authorization.example}'" if authorization else ""


def function_url_domain(function: FunctionOptions) -> str:
    """The domain a function URL of `function` has: `<url-id>.lambda-url.<region>.on.aws`, which the layer knows."""
    url_id = "".join(character for character in function.name.lower() if character.isalnum())[:32] or "function"
    return f"{url_id}.lambda-url.{function.region}.on.aws"


def _bind(port: int) -> FrontServer:
    try:
        return FrontServer((HOST, port), lambda: None)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ServeError(f"port {port} on {HOST} is already in use; stop what uses it or pick --port") from None
        if error.errno == errno.EACCES:
            raise ServeError(f"not allowed to listen on port {port}; pick a port above 1023 with --port") from None
        raise ServeError(f"cannot listen on {HOST}:{port}: {error.strerror}") from None


class _Signals:
    """Ctrl-C and SIGTERM: before serving they abort the start-up, while serving they stop the server."""

    def __init__(self) -> None:
        self._server: FrontServer | None = None
        self._stopping = False

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._handle)
        signal.signal(signal.SIGTERM, self._handle)

    def serving(self, server: FrontServer) -> None:
        self._server = server

    def stopping(self) -> None:
        self._stopping = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._stopping:
            return  # already on the way out: let the clean-up finish
        if self._server is None:
            self._stopping = True
            raise _InterruptedError
        self._stopping = True
        # shutdown() waits for serve_forever, which runs in this very thread: ask from another.
        threading.Thread(target=self._server.shutdown, name="shutdown").start()
