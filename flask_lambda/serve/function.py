"""The steps that run a function, which host.py takes in order: zips built and unpacked as on Lambda, DynamoDB, pool.

Everything here raises `ServeError`, one line that says why it cannot go on.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask_lambda import cache, package

from . import dynamodb
from .layout import Layout, function_arn, lambda_environment, unpack
from .logs import Output
from .options import FunctionOptions
from .pool import FunctionConfig, Pool
from .snapshot import Snapshot, SnapshotError


class ServeError(Exception):
    """A reason not to serve, said in one line."""


def unpack_zips(layer_zip: Path, function_zip: Path, root: Path) -> Layout:
    try:
        return unpack(layer_zip, function_zip, root)
    except (zipfile.BadZipFile, OSError) as error:
        raise ServeError(f"cannot unpack the zips into {root}: {error}") from None


@dataclass(frozen=True)
class Store:
    """The DynamoDB the function is pointed at, if any, and its table there, if it has one."""

    endpoint: str | None
    embedded: bool = False
    created: bool = False


def start_pool(function: FunctionOptions, config: FunctionConfig, output: Output, concurrency: int) -> Pool:
    """The function's environments; with --snap-start, restored from a snapshot taken first."""
    if not function.snap_start:
        return Pool(config, concurrency, output)
    snapshot = Snapshot(config, output, config.task_root.parent.parent)
    try:
        seconds = snapshot.wait_ready(config.init_timeout)
    except SnapshotError as error:
        raise ServeError(str(error)) from None
    output.warn(f"SnapStart: snapshot taken after {seconds * 1000:.0f} ms of init and before-snapshot hooks")
    return Pool(config, concurrency, output, snapshot)


def prepare_store(function: FunctionOptions, moto: dynamodb.MotoProcess | None, runtime_python: Path) -> Store:
    if function.table is None:
        return Store(function.dynamodb_endpoint)
    try:
        endpoint = moto.wait_ready() if moto else function.dynamodb_endpoint
        assert endpoint is not None  # a table without an endpoint has the embedded DynamoDB
        created = dynamodb.prepare_table(
            endpoint, function.table, function.region, function.function_dir, runtime_python
        )
    except dynamodb.DynamoDBError as error:
        raise ServeError(str(error)) from None
    return Store(endpoint, embedded=moto is not None, created=created)


def function_config(function: FunctionOptions, layout: Layout, store: Store, runtime_python: Path) -> FunctionConfig:
    variables: dict[str, str] = {}
    if store.endpoint:
        variables["AWS_ENDPOINT_URL_DYNAMODB"] = store.endpoint
    if function.table is not None and function.table.variable:
        variables[function.table.variable] = function.table.name
    for name in function.secrets:
        # What a deployment keeps in a secret store: serve's own environment may pass one on, else a fresh one.
        variables[name] = os.environ.get(name) or secrets.token_hex(32)
    variables.update(function.variables)
    return FunctionConfig(
        runtime_python=runtime_python,
        task_root=layout.task_root,
        environment=lambda_environment(layout, runtime_python, function.region, function.name, variables),
        function_arn=function_arn(function.region, function.name),
        timeout=function.timeout,
    )


def check_runtime(python: Path) -> None:
    """The runtime venv must exist, be Python 3.13 and hold awslambdaric."""
    probe = "import importlib.util as u, sys; print(sys.version_info[:2] == (3, 13), bool(u.find_spec('awslambdaric')))"
    try:
        completed = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        completed = None
    if completed is None or completed.stdout.split() != ["True", "True"]:
        raise ServeError(f"the Lambda runtime interpreter {python} is missing, not Python 3.13, or lacks awslambdaric")


def build_zips(function: FunctionOptions, root: Path, output: Output) -> tuple[Path, Path]:
    """The given zips, or ones built for the function's architecture (the layer only when its inputs changed)."""
    for given in (function.layer_zip, function.function_zip):
        if given is not None and not given.is_file():
            raise ServeError(f"{given} does not exist")
    root.mkdir(parents=True, exist_ok=True)
    try:
        layer_zip = function.layer_zip
        if layer_zip is None:
            arch = function.architecture or package.host_architecture()
            # Kept between runs, and rebuilt only when the layer's sources or pins change.
            layer = package.build_layer(cache.cache_dir() / "layers" / f"layer-{arch}.zip", arch, reuse=True)
            layer_zip = layer.path
            output.say(f"Layer: {layer.describe()} [{arch}]")
        function_zip = function.function_zip
        if function_zip is None:
            built = package.build_function(
                root / "function.zip",
                function.function_dir,
                function.architecture or package.host_architecture(),
                layer_zip,
                app=function.app,
            )
            function_zip = built.path
            output.say(f"Built the function: {built.files} files from {package.display(function.function_dir)}")
    except package.PackageError as error:
        raise ServeError(str(error)) from None
    return layer_zip, function_zip
