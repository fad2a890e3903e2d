"""`./build.sh invoke EVENT.json`: one event through the built zips under awslambdaric, the Lambda result printed.

Any event the layer supports (HTTP API 2.0 and 1.0, REST, function URL, ALB), from a file or `-` for standard
input. The result goes to standard output as JSON; what serve would say and the function's log lines to standard
error. The exit status is 1 when the invocation failed (a function error, a timeout, an init error).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import dynamodb, events
from .function import (
    ServeError,
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


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="./build.sh invoke", description=__doc__.splitlines()[0])
    parser.add_argument("event", metavar="EVENT.json", help="the event: a JSON file, or - to read standard input")
    add_function_options(parser)
    args = parser.parse_args(None if argv is None else list(argv))
    finish_function_options(parser, args)
    try:
        args.payload = _read_event(args.event)
    except ValueError as error:
        parser.error(str(error))
    return args


def _read_event(given: str) -> bytes:
    """The event's JSON, checked to be JSON (Lambda refuses anything else before the function sees it)."""
    try:
        text = sys.stdin.read() if given == "-" else Path(given).read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot read the event {given}: {error.strerror}") from None
    try:
        event: Any = json.loads(text)
    except ValueError as error:
        raise ValueError(f"the event {'on standard input' if given == '-' else given} is not JSON: {error}") from None
    return json.dumps(event, ensure_ascii=False).encode()


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    output = Output(sys.stderr, sys.stderr)  # standard output is the result's alone
    try:
        with contextlib.ExitStack() as stack:
            result = _invoke(args, output, stack)
    except ServeError as error:
        output.warn(f"error: {error}")
        return 1
    print(json.dumps(result.document, indent=2, ensure_ascii=False))
    return 0 if result.ok else 1


class _Result:
    def __init__(self, document: Any, ok: bool) -> None:
        self.document = document
        self.ok = ok


def _invoke(args: argparse.Namespace, output: Output, stack: contextlib.ExitStack) -> _Result:
    check_runtime(args.runtime_python)
    moto = None
    if args.table is not None and args.dynamodb_endpoint is None:
        moto = dynamodb.MotoProcess()
        stack.callback(moto.stop)
    workspace = Path(tempfile.mkdtemp(prefix="lambda-invoke-"))
    stack.callback(shutil.rmtree, workspace, ignore_errors=True)
    layout = unpack_zips(*build_zips(args, workspace, output), workspace / "build")
    pool = start_pool(args, function_config(args, layout, prepare_store(args, moto)), output, 1)
    stack.callback(pool.close)
    outcome = pool.invoke(args.payload, events.new_trace_id(time.time()))
    init = f", init {outcome.init_ms} ms" if outcome.init_ms is not None else ""
    output.warn(f"request id {outcome.request_id}{init}")
    if outcome.error is not None or outcome.result is None:
        # What Lambda's Invoke API answers for a failed invocation: the error, not a result.
        return _Result({"errorMessage": outcome.error or "no result"}, ok=False)
    return _Result(json.loads(outcome.result), ok=True)


if __name__ == "__main__":
    sys.exit(main())
