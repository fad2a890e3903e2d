"""`./build.sh invoke EVENT.json`: one event through the built zips under awslambdaric, the Lambda result printed.

Any event the layer supports (HTTP API 2.0 and 1.0, REST, function URL, ALB), from a file or `-` for standard
input. The result goes to standard output as JSON; what serve would say and the function's log lines to standard
error. The exit status is 1 when the invocation failed (a function error, a timeout, an init error).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from typing import Any, BinaryIO

from . import events
from .host import FunctionHost
from .logs import Output
from .options import FunctionOptions
from .streams import FrameSplitter


@dataclass(frozen=True)
class InvokeResult:
    document: Any  # the function's result, or Lambda's error document; a streamed answer's prelude
    ok: bool
    streamed: bool = False  # the answer was streamed: its body went to `body_out` as it came


def invoke(function: FunctionOptions, payload: bytes, output: Output, body_out: BinaryIO) -> InvokeResult:
    """Run `payload` once in a fresh environment; `ServeError` if the function cannot be started.

    A streamed answer's prelude is told on `output` and its body written to `body_out`, each as it arrives.
    """

    def write(chunk: bytes) -> None:
        body_out.write(chunk)
        body_out.flush()

    splitter = FrameSplitter(lambda prelude: output.warn(f"streamed response: {json.dumps(prelude)}"), write)
    with FunctionHost(function, output, concurrency=1, name="invoke") as host:
        code = host.start()
        try:
            outcome = code.pool.invoke(payload, events.new_trace_id(time.time()), sink=splitter)
        finally:
            code.close()
    init = f", init {outcome.init_ms} ms" if outcome.init_ms is not None else ""
    output.warn(f"request id {outcome.request_id}{init}")
    if outcome.streamed:
        if outcome.error is not None:  # the error trailers, or a timeout: the stream ended early
            output.warn(f"the stream ended with an error: {outcome.error}")
        return InvokeResult(splitter.prelude, ok=outcome.error is None, streamed=True)
    if outcome.error is not None or outcome.result is None:
        # What Lambda's Invoke API answers for a failed invocation: the error, not a result.
        return InvokeResult({"errorMessage": outcome.error or "no result"}, ok=False)
    return InvokeResult(json.loads(outcome.result), ok=True)


if __name__ == "__main__":
    from .cli import invoke_main

    sys.exit(invoke_main())
