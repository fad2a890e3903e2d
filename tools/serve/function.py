"""The function serve and invoke run: its options, its zips built and unpacked as on Lambda, its DynamoDB, its pool.

Everything here raises `ServeError`, one line that says why it cannot go on.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lambda_wsgi.settings import DEFAULT_APP
from tools import package

from . import dynamodb
from .layout import Layout, function_arn, lambda_environment, unpack
from .logs import Output
from .pool import FunctionConfig, Pool
from .snapshot import Snapshot, SnapshotError

ROOT = package.ROOT
BUILD_DIR = ROOT / "build" / "serve"
DEFAULT_RUNTIME_PYTHON = ROOT / ".venv-runtime" / "bin" / "python"
DEFAULT_TABLE = "users"


class ServeError(Exception):
    """A reason not to serve, said in one line."""


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


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


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
            app = dict(item.split("=", 1) for item in args.env).get("LAMBDA_WSGI_APP") or DEFAULT_APP
            built = package.build_function(
                root / "function.zip", args.function_dir, package.host_architecture(), layer_zip, app=app
            )
            function_zip = built.path
            output.say(f"Built the function: {built.files} files from {package.display(args.function_dir)}")
    except package.PackageError as error:
        raise ServeError(str(error)) from None
    return layer_zip, function_zip
