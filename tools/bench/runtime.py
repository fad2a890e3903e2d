"""What the Lambda runtime puts around a handler, for the benchmark: awslambdaric's logging and a context object.

As `python -I -B runtime.py MODULE [PATH...]` (how Lambda starts Python: isolated, writing no bytecode), the
cold-start child: set up the runtime's logging, put the PATHs in front of sys.path, import MODULE and answer the
event read from stdin, then print the timings and where the modules it loaded came from, as one JSON line.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import json
import logging
import os
import site
import sys
from collections.abc import Callable
from time import perf_counter_ns, process_time_ns
from types import TracebackType
from typing import Any

REQUEST_ID = "8f5d3c1e-6b0a-4c55-9d8f-0c2b7a1e4f60"
LOG_FORMATS = ("text", "json")


class LambdaContext:
    """The attributes of awslambdaric's context object that handlers and adapters read."""

    def __init__(self, request_id: str = REQUEST_ID) -> None:
        self.aws_request_id = request_id
        self.function_name = "users-api"
        self.function_version = "$LATEST"
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:users-api"
        self.memory_limit_in_mb = "1024"
        self.log_group_name = "/aws/lambda/users-api"
        self.log_stream_name = "2024/05/01/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class RuntimeLogging:
    """awslambdaric's own logging, set up once per log format and switched between with `use`.

    Each format is `awslambdaric.bootstrap._setup_logging` as the runtime calls it (text: no log level, so the
    root logger stays at WARNING; JSON: the INFO level Lambda sets with that format), so the root handler, its
    formatter and its request-id filter are the runtime's classes. Lines go through the sink Lambda uses (the
    framed telemetry sink, one unbuffered write per line) to `path`: by default the null device, so a line costs
    what it costs in Lambda without filling a terminal or memory.
    """

    def __init__(self, path: str = os.devnull) -> None:
        from awslambdaric import bootstrap
        from awslambdaric.lambda_runtime_log_utils import LogFormat

        bootstrap._GLOBAL_AWS_REQUEST_ID = REQUEST_ID  # what the runtime sets for each invocation
        root = logging.getLogger()
        self._initial_level = root.level
        self._sinks: list[Any] = []
        self._handlers: dict[str, tuple[logging.Handler, int]] = {}
        for name, log_format, level in (("text", LogFormat.TEXT, ""), ("json", LogFormat.JSON, "INFO")):
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            sink = bootstrap.FramedTelemetryLogSink(descriptor)
            sink.__enter__()
            self._sinks.append(sink)
            before = list(root.handlers)
            bootstrap._setup_logging(log_format, level, sink)
            added = [handler for handler in root.handlers if handler not in before]
            for handler in added:
                root.removeHandler(handler)
            self._handlers[name] = (added[0], root.level)
            root.setLevel(self._initial_level)
        self.current: str | None = None

    def use(self, log_format: str) -> None:
        """Make `log_format`'s handler the runtime's root handler (at its level), as in a function set up so."""
        if log_format == self.current:
            return
        root = logging.getLogger()
        for handler, _ in self._handlers.values():
            root.removeHandler(handler)
        handler, level = self._handlers[log_format]
        root.addHandler(handler)
        root.setLevel(level)
        self.current = log_format

    def close(self) -> None:
        root = logging.getLogger()
        for handler, _ in self._handlers.values():
            root.removeHandler(handler)
        root.setLevel(self._initial_level)
        for sink in self._sinks:
            sink.__exit__(None, None, None)
        self._sinks.clear()
        self.current = None

    def __enter__(self) -> RuntimeLogging:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def read_frames(data: bytes) -> list[tuple[bytes, str]]:
    """The `(frame type, message)` of each frame the telemetry sink wrote: type (4 bytes), length (4), time (8)."""
    frames: list[tuple[bytes, str]] = []
    while data:
        length = int.from_bytes(data[4:8], "big")
        frames.append((data[:4], data[16 : 16 + length].decode()))
        data = data[16 + length :]
    return frames


def _count_compiles(compiled: list[str]) -> Callable[[], None]:
    """Record the path of every module compiled from source (its bytecode missing or stale); returns the undo.

    The import system compiles a module only when it finds no valid pyc, through `source_to_code`; wrapping it
    costs nothing on the path that loads a pyc.
    """
    loader = importlib.machinery.SourceFileLoader
    own = loader.__dict__.get("source_to_code")  # in 3.13 it is inherited from SourceLoader
    original = loader.source_to_code

    def source_to_code(self: Any, data: Any, path: Any, *args: Any, **kwargs: Any) -> Any:
        compiled.append(str(path))
        return original(self, data, path, *args, **kwargs)

    loader.source_to_code = source_to_code  # type: ignore[method-assign]

    def undo() -> None:
        if own is None:
            del loader.source_to_code
        else:
            loader.source_to_code = own  # type: ignore[method-assign]

    return undo


def _under(path: str, folders: list[str]) -> bool:
    return any(path.startswith(folder) for folder in folders)


def cold_start(module_name: str, paths: list[str], event: dict[str, Any]) -> dict[str, Any]:
    """Import the handler module and answer the first event, as the runtime does at a cold start.

    The runtime's logging is set up first, as awslambdaric does before it imports the handler. Besides the
    timings, the report says how many of the modules loaded come from `paths`, which of those were compiled
    from source rather than loaded from bytecode, and which came from elsewhere outside the standard library
    (a package that lacks something and found it in the benchmark's own environment).
    """
    RuntimeLogging().use("text")
    sys.path[0:0] = paths
    compiled: list[str] = []
    undo = _count_compiles(compiled)
    loaded_before = set(sys.modules)
    cpu_started = process_time_ns()
    started = perf_counter_ns()
    module = importlib.import_module(module_name)
    imported = perf_counter_ns()
    result = module.handler(event, LambdaContext())
    answered = perf_counter_ns()
    cpu = process_time_ns() - cpu_started
    undo()
    trees = [os.path.realpath(path) + os.sep for path in paths]
    sites = [os.path.realpath(path) + os.sep for path in site.getsitepackages()]
    from_trees: list[str] = []
    outside: list[str] = []
    standard: list[str] = []
    for name in sorted(set(sys.modules) - loaded_before):
        spec = getattr(sys.modules[name], "__spec__", None)
        origin = getattr(spec, "origin", None)
        if not origin or not os.path.isabs(origin):
            standard.append(name)  # built in, frozen, or a namespace package
            continue
        origin = os.path.realpath(origin)
        if _under(origin, trees):
            if isinstance(getattr(spec, "loader", None), importlib.machinery.SourceFileLoader):
                from_trees.append(name)
        elif _under(origin, sites):
            outside.append(name)
        else:
            standard.append(name)
    flask = sys.modules.get("flask")
    flask_pyc = getattr(flask, "__cached__", None)
    return {
        "import_ns": imported - started,
        "total_ns": answered - started,
        "cpu_ns": cpu,
        "status": result["statusCode"],
        "modules_from_package": len(from_trees),
        "package_modules": from_trees,
        "standard_modules": standard,
        "compiled": compiled,
        "compiled_from_package": [path for path in compiled if _under(os.path.realpath(path), trees)],
        "outside_package": outside,
        "flask_pyc": flask_pyc if flask_pyc and os.path.isfile(flask_pyc) else None,
        "flags": {"isolated": sys.flags.isolated, "dont_write_bytecode": sys.flags.dont_write_bytecode},
    }


if __name__ == "__main__":
    print(json.dumps(cold_start(sys.argv[1], sys.argv[2:], json.load(sys.stdin))))
