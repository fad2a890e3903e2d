"""SnapStart on serve's emulation: time from a restore to the first response, primed and not, against a cold start.

Each run starts one execution environment of this layer's deployed package (awslambdaric, as serve runs it) and
times it from the moment it is asked for to the first response: a cold start starts a process and runs init; a
restore forks the snapshot (taken once per variant) and runs the after-restore hooks. The fork stands in for
Lambda's memory restore, whose own cost (loading the snapshot's pages) this machine cannot show.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from tempfile import TemporaryDirectory
from time import monotonic, perf_counter

from flask_lambda.serve.logs import Output
from flask_lambda.serve.pool import Environment, FunctionConfig
from flask_lambda.serve.runtime_api import Invocation
from flask_lambda.serve.snapshot import Snapshot

from .events import Case
from .packaging import LambdaTree

VARIANTS = ("cold start", "restore, unprimed", "restore, primed")


@dataclass
class SnapStartResult:
    """Per variant, in ms: from asking for an environment to its first response."""

    first_response_ms: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in VARIANTS})

    def median_ms(self, variant: str) -> float:
        return median(self.first_response_ms[variant])


def measure_snapstart(tree: LambdaTree, case: Case, *, runs: int, python: str = sys.executable) -> SnapStartResult:
    result = SnapStartResult()
    with open(os.devnull, "w") as devnull, TemporaryDirectory(prefix="bench-snapstart-") as work:
        output = Output(devnull, devnull)
        cold = function_config(tree, python, {})
        unprimed = function_config(tree, python, {"LAMBDA_WSGI_PRIME_PATH": "off"})
        primed = function_config(tree, python, {})
        snapshots = {
            "restore, unprimed": Snapshot(unprimed, output, Path(work, "unprimed")),
            "restore, primed": Snapshot(primed, output, Path(work, "primed")),
        }
        try:
            for ready in snapshots.values():
                ready.wait_ready(60)
            for number in range(runs + 1):  # the first round is untimed: it brings the files into the page cache
                for variant in VARIANTS:
                    snapshot = snapshots.get(variant)
                    ms = _first_response(primed if snapshot else cold, output, number, snapshot, case)
                    if number:
                        result.first_response_ms[variant].append(ms)
        finally:
            for taken in snapshots.values():
                taken.close()
    return result


def function_config(tree: LambdaTree, python: str, variables: dict[str, str]) -> FunctionConfig:
    """Environments of the package in `tree` as serve runs them (awslambdaric under `python`), with `variables`."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "PYTHONPATH": os.pathsep.join([str(tree.task), str(tree.opt_python)]),
        "PYTHONDONTWRITEBYTECODE": "1",
        "LAMBDA_TASK_ROOT": str(tree.task),  # where the layer's start script finds the function
        "AWS_LAMBDA_FUNCTION_NAME": "users-api",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_REGION": "us-east-1",
        **variables,
    }
    return FunctionConfig(
        runtime_python=Path(python),
        task_root=tree.task,
        environment=environment,
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:users-api",
        timeout=30,
        init_timeout=30,
    )


def _first_response(
    config: FunctionConfig, output: Output, number: int, snapshot: Snapshot | None, case: Case
) -> float:
    invocation = Invocation(
        request_id=str(uuid.uuid4()),
        payload=_payload(case),
        timeout=config.timeout,
        trace_id="Root=1-00000000-000000000000000000000000",
        function_arn=config.function_arn,
    )
    started = perf_counter()
    environment = Environment(number, config, output, lambda *_: None, snapshot.restore if snapshot else None)
    try:
        environment.run(invocation, cold=True)
        elapsed_ms = (perf_counter() - started) * 1000
    finally:
        environment.stop()
        environment.finish_stop(monotonic() + 2)
    if invocation.error is not None or invocation.result is None:
        raise RuntimeError(f"the first response failed: {invocation.error}")
    return elapsed_ms


def _payload(case: Case) -> bytes:
    return json.dumps(case.event()).encode()
