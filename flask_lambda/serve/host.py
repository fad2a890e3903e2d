"""The function hosted for serve, invoke and --watch's reload: runtime checked, DynamoDB started, built code running.

Start-up is written once here; everything `FunctionHost` starts it stops again when its `with` block ends.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask_lambda import cache

from .dynamodb import DynamoDBError, MotoProcess, moto_python
from .function import (
    ServeError,
    Store,
    build_zips,
    check_runtime,
    function_config,
    prepare_store,
    start_pool,
    unpack_zips,
)
from .layout import Layout
from .logs import Output
from .options import FunctionOptions
from .pool import Pool


@dataclass(frozen=True)
class ServedCode:
    """One build of the function, unpacked into its own build-N folder, and the environments running it."""

    layout: Layout
    pool: Pool

    def close(self) -> None:
        self.pool.close()

    def retire(self, grace: float) -> None:
        """Close once the invocations under way have ended (or `grace` seconds passed), then remove the folder."""
        self.pool.retire(grace)
        shutil.rmtree(self.layout.root, ignore_errors=True)


class FunctionHost:
    """Runs `function`'s code in up to `concurrency` environments; `name` (serve, invoke) names its workspace."""

    def __init__(self, function: FunctionOptions, output: Output, *, concurrency: int, name: str) -> None:
        self.function = function
        self.output = output
        self.concurrency = concurrency
        self._prefix = f"lambda-{name}-"
        self._stack = contextlib.ExitStack()
        self._moto: MotoProcess | None = None
        self._store: Store | None = None
        self._workspace: Path | None = None
        self._builds = itertools.count(1)
        self.runtime_python = Path()  # set on entry

    def __enter__(self) -> FunctionHost:
        with self._stack as stack:
            self.runtime_python = self._runtime_python()
            check_runtime(self.runtime_python)
            if self.function.table is not None and self.function.dynamodb_endpoint is None:
                self._moto = MotoProcess(self._moto_python())  # starts while the zips build
                stack.callback(self._moto.stop)
            self._workspace = Path(tempfile.mkdtemp(prefix=self._prefix))
            stack.callback(shutil.rmtree, self._workspace, ignore_errors=True)
            self._stack = stack.pop_all()  # started: stopped by __exit__ rather than now
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _runtime_python(self) -> Path:
        if self.function.runtime_python is not None:
            return self.function.runtime_python
        try:
            return cache.runtime_python(self.output.warn)
        except cache.CacheError as error:
            raise ServeError(str(error)) from None

    def _moto_python(self) -> Path:
        try:
            return moto_python(self.output)
        except DynamoDBError as error:
            raise ServeError(str(error)) from None

    @property
    def store(self) -> Store:
        """The DynamoDB the function is pointed at, its table set up on first use (after the first build)."""
        if self._store is None:
            self._store = prepare_store(self.function, self._moto, self.runtime_python)
        return self._store

    def start(self) -> ServedCode:
        """The function built and running: what serve and invoke begin with."""
        return self.run(self.build())

    def build(self) -> Layout:
        """The zips built and unpacked into a fresh build-N folder; a failure leaves no folder behind."""
        if self._workspace is None:
            raise RuntimeError("FunctionHost is used as a context manager")
        folder = self._workspace / f"build-{next(self._builds)}"
        try:
            return unpack_zips(*build_zips(self.function, folder, self.output), folder)
        except ServeError:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def run(self, layout: Layout) -> ServedCode:
        """Environments for the code in `layout`; if they cannot start, its folder is removed."""
        try:
            config = function_config(self.function, layout, self.store, self.runtime_python)
            pool = start_pool(self.function, config, self.output, self.concurrency)
        except ServeError:
            shutil.rmtree(layout.root, ignore_errors=True)
            raise
        return ServedCode(layout, pool)
