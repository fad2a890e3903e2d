"""What the Lambda runtime puts around a handler, for the benchmark: its log handler and its context object.

As `python -I runtime.py MODULE [PATH...]`: the cold-start child (import MODULE, answer one event, print timings).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from time import perf_counter_ns, process_time_ns
from typing import Any, TextIO

# The Lambda runtime's plain-text log line (awslambdaric's text format) and its request id field.
LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"
REQUEST_ID = "8f5d3c1e-6b0a-4c55-9d8f-0c2b7a1e4f60"


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


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = REQUEST_ID
        return True


def install_lambda_logging(stream: TextIO | None = None) -> logging.Handler:
    """A root handler like the runtime's, writing each formatted line to `stream` (by default the null device).

    Log lines cost what they cost in Lambda (record, format, one write) without filling a terminal or memory.
    """
    handler = logging.StreamHandler(stream or open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the process)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(_RequestIdFilter())
    logging.getLogger().addHandler(handler)
    return handler


def cold_start(module_name: str, paths: list[str], event: dict[str, Any]) -> dict[str, Any]:
    """Import the handler module and answer the first event, as the runtime does at a cold start."""
    sys.path[0:0] = paths
    install_lambda_logging()
    cpu_started = process_time_ns()
    started = perf_counter_ns()
    module = importlib.import_module(module_name)
    imported = perf_counter_ns()
    result = module.handler(event, LambdaContext())
    answered = perf_counter_ns()
    return {
        "import_ns": imported - started,
        "total_ns": answered - started,
        "cpu_ns": process_time_ns() - cpu_started,
        "status": result["statusCode"],
    }


if __name__ == "__main__":
    print(json.dumps(cold_start(sys.argv[1], sys.argv[2:], json.load(sys.stdin))))
