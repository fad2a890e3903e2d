"""`./build.sh serve`: build the zips, start DynamoDB and the front, serve until Ctrl-C or SIGTERM.

Everything started here is stopped here, in reverse order, however serve ends.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from types import FrameType

from . import dynamodb
from .authorizer import Authorizer, AuthorizerError, iam_authorizer, jwt_authorizer
from .front import FrontServer, Gateway
from .function import (
    ServeError,
    Store,
    add_function_options,
    build_zips,
    check_runtime,
    finish_function_options,
    function_config,
    prepare_store,
    start_pool,
    unpack_zips,
)
from .logs import Output
from .watch import Reloader, Watcher, watched_sources

HOST = "127.0.0.1"


class _InterruptedError(Exception):
    pass


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="./build.sh serve", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0 picks a free one)")
    parser.add_argument("--concurrency", type=_positive_int, default=4, help="most environments at once (default 4)")
    add_function_options(parser)
    parser.add_argument(
        "--watch",
        action="store_true",
        help="rebuild and reload when the function's files (or the layer's sources) change",
    )
    caller = parser.add_mutually_exclusive_group()
    caller.add_argument(
        "--jwt-claims",
        metavar="FILE|JSON",
        help="play a JWT authorizer: every request needs 'Authorization: Bearer ...' and carries these claims",
    )
    caller.add_argument(
        "--iam-principal",
        metavar="ARN",
        help="play IAM authorization: every request needs a SigV4 Authorization header and carries this caller",
    )
    args = parser.parse_args(None if argv is None else list(argv))
    finish_function_options(parser, args)
    if args.watch and args.function_zip is not None:
        parser.error("--watch rebuilds the function from its folder; it cannot be used with --function-zip")
    try:
        args.authorizer = _authorizer(args)
    except AuthorizerError as error:
        parser.error(str(error))
    return args


def _authorizer(args: argparse.Namespace) -> Authorizer | None:
    if args.jwt_claims is not None:
        return jwt_authorizer(args.jwt_claims)
    if args.iam_principal is not None:
        return iam_authorizer(args.iam_principal)
    return None


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    output = Output()
    state = _Signals()
    state.install()
    try:
        with contextlib.ExitStack() as stack:
            _serve(args, output, state, stack)
    except ServeError as error:
        output.warn(f"error: {error}")
        return 1
    except (_InterruptedError, KeyboardInterrupt):
        pass
    output.say("Stopped.")
    return 0


def _serve(args: argparse.Namespace, output: Output, state: _Signals, stack: contextlib.ExitStack) -> None:
    server = _bind(args.port)
    stack.callback(server.server_close)
    check_runtime(args.runtime_python)
    moto = None
    if args.table is not None and args.dynamodb_endpoint is None:
        moto = dynamodb.MotoProcess()  # starts while the zips build
        stack.callback(moto.stop)
    workspace = Path(tempfile.mkdtemp(prefix="lambda-serve-"))
    stack.callback(shutil.rmtree, workspace, ignore_errors=True)
    layout = unpack_zips(*build_zips(args, workspace, output), workspace / "build-1")
    store = prepare_store(args, moto)
    pool = start_pool(args, function_config(args, layout, store), output, args.concurrency)
    gateway = Gateway(pool, output, args.authorizer)
    stack.callback(gateway.close)
    if args.watch:
        reloader = Reloader(args, output, gateway, store=store, workspace=workspace, layout=layout)
        watcher = Watcher(watched_sources(args), reloader.reload)
        watcher.start()
        stack.callback(reloader.stop)
        stack.callback(watcher.stop)
    server.gateway = lambda: gateway
    _announce(output, args, f"http://{HOST}:{server.port}", layout.root, store)
    state.serving(server)
    server.serve_forever(poll_interval=0.2)
    state.stopping()


def _announce(output: Output, args: argparse.Namespace, url: str, root: Path, store: Store) -> None:
    if store.endpoint:
        where = "embedded (moto)" if store.embedded else "at"
        table = f", table {args.table!r} ({'created' if store.created else 'existing'})" if args.table else ""
        output.say(f"DynamoDB: {where} {store.endpoint}{table}")
    output.say(f"Lambda layout: {root} (layer in opt/, function in var/task/), concurrency {args.concurrency}")
    if args.authorizer is not None:
        output.say(f"Authorization: {_describe(args)}")
    output.say(f"Serving the API at {url}  (Ctrl-C to stop)")
    output.say(f"Try: {try_command(url, users=args.table is not None, authorization=args.authorizer)}")


def try_command(url: str, *, users: bool, authorization: Authorizer | None) -> str:
    """A first curl that works against what is served: the users API's create, or the function's root."""
    header = f" -H 'authorization: {authorization.example}'" if authorization else ""
    if not users:
        return f"curl -i{header} {url}/"
    return (
        f"curl -i{header} -X POST {url}/users -H 'content-type: application/json' "
        # $RANDOM: the line can be pasted again without taking an address the first paste took.
        """-d '{"name": "Ada Lovelace", "email": "ada-'$RANDOM'@example.com"}'"""
    )


def _describe(args: argparse.Namespace) -> str:
    if args.iam_principal:
        return f"IAM (SigV4 required, not checked), every request from {args.iam_principal}"
    return "JWT ('Authorization: Bearer ...' required, not checked), every request with the --jwt-claims claims"


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


if __name__ == "__main__":
    sys.exit(main())
