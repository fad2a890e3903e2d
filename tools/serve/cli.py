"""`./build.sh serve`: build the zips, start DynamoDB and the front, serve until Ctrl-C or SIGTERM.

Everything started here is stopped here, in reverse order, however serve ends.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import itertools
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

from tools import package

from . import dynamodb
from .authorizer import Authorizer, AuthorizerError, iam_authorizer, jwt_authorizer
from .front import FrontServer, Gateway
from .layout import Layout, function_arn, lambda_environment, unpack
from .logs import Output
from .pool import FunctionConfig, Pool
from .snapshot import Snapshot, SnapshotError
from .watch import Watcher

ROOT = package.ROOT
BUILD_DIR = ROOT / "build" / "serve"
DEFAULT_RUNTIME_PYTHON = ROOT / ".venv-runtime" / "bin" / "python"
HOST = "127.0.0.1"
DEFAULT_TABLE = "users"


class ServeError(Exception):
    """A reason not to serve, said in one line."""


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


def add_function_options(parser: argparse.ArgumentParser) -> None:
    """What the function runs from and with: shared by serve and invoke."""
    parser.add_argument("--function-dir", type=Path, default=package.FUNCTION_DIR, help="folder with routes.py (api/)")
    parser.add_argument("--layer-zip", type=Path, help="run this layer zip instead of building one")
    parser.add_argument("--function-zip", type=Path, help="run this function zip instead of building one")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="a variable for the function (repeatable)"
    )
    parser.add_argument(
        "--table",
        help=f"set up the users API's table (default {DEFAULT_TABLE!r} for the sample api/, else none)",
    )
    parser.add_argument(
        "--dynamodb-endpoint",
        metavar="URL",
        type=_endpoint,
        help="use this DynamoDB (http://host:port) instead of an embedded one",
    )
    parser.add_argument(
        "--timeout", type=_positive_float, default=10.0, help="function timeout in seconds (default 10)"
    )
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        help="the function's AWS_REGION (default: AWS_REGION, else us-east-1)",
    )
    parser.add_argument(
        "--snap-start",
        action="store_true",
        help="as Lambda SnapStart: init once, snapshot, and restore every environment from it (hooks included)",
    )
    parser.add_argument("--runtime-python", type=Path, default=DEFAULT_RUNTIME_PYTHON, help=argparse.SUPPRESS)


def finish_function_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    args.region = args.region or "us-east-1"
    args.runtime_python = args.runtime_python.absolute()  # not resolved: a venv's python is a symlink
    # Paths are the caller's: relative ones resolve from where the command was typed.
    for name in ("function_dir", "layer_zip", "function_zip"):
        if getattr(args, name) is not None:
            setattr(args, name, getattr(args, name).absolute())
    if args.table is None and args.function_zip is None and args.function_dir.resolve() == package.FUNCTION_DIR:
        args.table = DEFAULT_TABLE  # the sample users API gets its table without asking
    for item in args.env:
        if "=" not in item or item.startswith("="):
            parser.error(f"--env {item!r}: expected NAME=VALUE")


def _authorizer(args: argparse.Namespace) -> Authorizer | None:
    if args.jwt_claims is not None:
        return jwt_authorizer(args.jwt_claims)
    if args.iam_principal is not None:
        return iam_authorizer(args.iam_principal)
    return None


def _endpoint(text: str) -> str:
    """An endpoint URL boto3 can use: a scheme and a host, and a port unless it is https."""
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = None
        parts = parts._replace(netloc="")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL such as http://localhost:8001")
    if port is None and parts.scheme == "http":
        raise argparse.ArgumentTypeError(f"{text!r} names no port (http://localhost:8001)")
    return text


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
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
        reloader = _Reloader(args, output, gateway, store=store, workspace=workspace, layout=layout)
        watcher = Watcher(watched_sources(args), reloader.reload)
        watcher.start()
        stack.callback(reloader.stop)
        stack.callback(watcher.stop)
    server.gateway = lambda: gateway
    _announce(output, args, f"http://{HOST}:{server.port}", layout.root, store)
    state.serving(server)
    server.serve_forever(poll_interval=0.2)
    state.stopping()


def watched_sources(args: argparse.Namespace) -> list[Path]:
    """What `--watch` rebuilds from: the function's folder and, unless a layer zip was given, the layer's inputs."""
    sources = [args.function_dir]
    if args.layer_zip is None:
        sources += [package.LAYER_DIR, package.LAYER_REQUIREMENTS]
    return sources


class _Reloader:
    """Rebuilds after a change and swaps in fresh environments; a build that fails keeps the old code serving."""

    def __init__(
        self,
        args: argparse.Namespace,
        output: Output,
        gateway: Gateway,
        *,
        store: Store,
        workspace: Path,
        layout: Layout,
    ) -> None:
        self.args, self.output, self.gateway, self.store = args, output, gateway, store
        self.workspace = workspace
        self.layout = layout
        self.builds = itertools.count(2)
        self.lock = threading.Lock()
        self.stopped = False

    def reload(self, changed: list[str]) -> None:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        started = time.perf_counter()
        with self.lock:
            if self.stopped:
                return
            self.output.say(f"Changed: {shown}; rebuilding ...")
            build = self.workspace / f"build-{next(self.builds)}"
            try:
                layout = unpack_zips(*build_zips(self.args, build, self.output), build)
            except ServeError as error:
                self.output.warn(f"the rebuild failed, still serving the previous code: {error}")
                shutil.rmtree(build, ignore_errors=True)
                return
            try:
                pool = start_pool(
                    self.args, function_config(self.args, layout, self.store), self.output, self.args.concurrency
                )
            except ServeError as error:
                self.output.warn(f"the new code does not start, still serving the previous code: {error}")
                shutil.rmtree(build, ignore_errors=True)
                return
            old_pool, old_layout = self.gateway.pool, self.layout
            self.gateway.pool, self.layout = pool, layout
        elapsed = time.perf_counter() - started
        self.output.say(f"Reloaded in {elapsed:.2f} s: new requests run the new code in fresh environments")
        threading.Thread(target=self._retire, args=(old_pool, old_layout), name="retire", daemon=True).start()

    def _retire(self, pool: Pool, layout: Layout) -> None:
        pool.retire(self.args.timeout)
        shutil.rmtree(layout.root, ignore_errors=True)

    def stop(self) -> None:
        with self.lock:  # waits for a rebuild under way
            self.stopped = True


def unpack_zips(layer_zip: Path, function_zip: Path, root: Path) -> Layout:
    try:
        return unpack(layer_zip, function_zip, root)
    except (zipfile.BadZipFile, OSError) as error:
        raise ServeError(f"cannot unpack the zips into {root}: {error}") from None


@dataclass(frozen=True)
class Store:
    """The DynamoDB the function is pointed at, if any, and the users table there, if asked for."""

    endpoint: str | None
    embedded: bool = False
    created: bool = False


def start_pool(args: argparse.Namespace, config: FunctionConfig, output: Output, concurrency: int) -> Pool:
    """The function's environments; with --snap-start, restored from a snapshot taken first."""
    if not args.snap_start:
        return Pool(config, concurrency, output)
    snapshot = Snapshot(config, output, config.task_root.parent.parent)
    try:
        seconds = snapshot.wait_ready(config.init_timeout)
    except SnapshotError as error:
        raise ServeError(str(error)) from None
    output.warn(f"SnapStart: snapshot taken after {seconds * 1000:.0f} ms of init and before-snapshot hooks")
    return Pool(config, concurrency, output, snapshot)


def prepare_store(args: argparse.Namespace, moto: dynamodb.MotoProcess | None) -> Store:
    if args.table is None:
        return Store(args.dynamodb_endpoint)
    try:
        endpoint = moto.wait_ready() if moto else args.dynamodb_endpoint
        created = dynamodb.prepare_table(endpoint, args.table, args.region)
    except dynamodb.DynamoDBError as error:
        raise ServeError(str(error)) from None
    return Store(endpoint, embedded=moto is not None, created=created)


def function_config(args: argparse.Namespace, layout: Layout, store: Store) -> FunctionConfig:
    variables: dict[str, str] = {}
    if store.endpoint:
        variables["AWS_ENDPOINT_URL_DYNAMODB"] = store.endpoint
    if args.table is not None:  # the users API's own settings
        variables["USERS_TABLE"] = args.table
        variables["PAGE_TOKEN_KEY"] = os.environ.get("PAGE_TOKEN_KEY") or secrets.token_hex(32)
    variables.update(item.split("=", 1) for item in args.env)
    return FunctionConfig(
        runtime_python=args.runtime_python,
        task_root=layout.task_root,
        environment=lambda_environment(layout, args.runtime_python, args.region, variables),
        function_arn=function_arn(args.region),
        timeout=args.timeout,
    )


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


def check_runtime(python: Path) -> None:
    """The runtime venv must exist, be Python 3.13 and hold awslambdaric."""
    probe = "import importlib.util as u, sys; print(sys.version_info[:2] == (3, 13), bool(u.find_spec('awslambdaric')))"
    try:
        completed = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        completed = None
    if completed is None or completed.stdout.split() != ["True", "True"]:
        raise ServeError(
            f"the Lambda runtime interpreter {python} is missing or lacks awslambdaric; "
            "./build.sh serve sets it up from requirements/runtime.txt"
        )


def build_zips(args: argparse.Namespace, root: Path, output: Output) -> tuple[Path, Path]:
    """The given zips, or ones built for this machine's architecture (the layer only when its inputs changed)."""
    for given in (args.layer_zip, args.function_zip):
        if given is not None and not given.is_file():
            raise ServeError(f"{given} does not exist")
    root.mkdir(parents=True, exist_ok=True)
    try:
        layer_zip = args.layer_zip
        if layer_zip is None:
            arch = package.host_architecture()
            layer = package.build_layer(BUILD_DIR / f"layer-{arch}.zip", arch, reuse=True)
            layer_zip = layer.path
            output.say(f"Layer: {layer.describe()} [{arch}]")
        function_zip = args.function_zip
        if function_zip is None:
            # The app the function will serve, as `--env LAMBDA_WSGI_APP=...` sets it, must be in the code.
            app = dict(item.split("=", 1) for item in args.env).get("LAMBDA_WSGI_APP") or package.DEFAULT_APP
            built = package.build_function(
                root / "function.zip", args.function_dir, package.host_architecture(), layer_zip, app=app
            )
            function_zip = built.path
            output.say(f"Built the function: {built.files} files from {package.display(args.function_dir)}")
    except package.PackageError as error:
        raise ServeError(str(error)) from None
    return layer_zip, function_zip


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
