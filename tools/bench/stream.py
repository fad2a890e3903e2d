"""Streaming on serve's Runtime API, and the layer's runtime loop against awslambdaric's, with this layer's zips.

- Responses: a view yielding 10 chunks 100 ms apart and a 20 MB download, each through a function URL event (the
  function set up to stream it: `AWS_LAMBDA_EXEC_WRAPPER=/opt/flask-lambda-runtime`, `LAMBDA_WSGI_STREAM=
  function-url`; the body's bytes timed as they reach the invocation's sink) and through an HTTP API 2.0 event to
  the same environment (buffered: the whole result at the end). Time to first byte and total time, from the invoke.
- Runtime loops: the default function (buffered, no `LAMBDA_WSGI_STREAM`) started by awslambdaric and by the layer's
  loop (the wrapper): init duration of fresh environments, and the time of a small GET in a warm one. Both poll the
  same Runtime API, so the difference is the loop's.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import median
from time import perf_counter, perf_counter_ns
from typing import Any

from flask_lambda.serve.logs import Output
from flask_lambda.serve.pool import FunctionConfig, Outcome, Pool
from flask_lambda.serve.streams import FrameSplitter

from .events import COLD_START_CASE, Case, answer
from .function.stream_views import chunk_line
from .packaging import LambdaTree
from .snapstart import function_config

FUNCTION_URL_HOST = "a3xmplb7kzq5v2ph4nfe6yt7wu0xlrgd.lambda-url.us-east-2.on.aws"
STREAM_APP = "stream_views:views"
WRAPPER = "flask-lambda-runtime"  # at the layer's root: /opt/flask-lambda-runtime on Lambda
TRACE_ID = "Root=1-00000000-000000000000000000000000"
MAX_BUFFERED = 6 * 1024 * 1024  # Lambda's limit on a buffered result
MB = 1024 * 1024
SAME_WITHIN = 0.03  # a ratio this close to 1 is within the runs' noise

AWSLAMBDARIC = "awslambdaric"
LAYER_LOOP = "layer"
LOOPS = (AWSLAMBDARIC, LAYER_LOOP)
LOOP_LABELS = {
    AWSLAMBDARIC: "awslambdaric (the managed runtime's, the default)",
    LAYER_LOOP: "the layer's loop (AWS_LAMBDA_EXEC_WRAPPER=/opt/flask-lambda-runtime)",
}


@dataclass(frozen=True)
class Response:
    """A streaming view and what it answers: `body_bytes` of body."""

    name: str
    label: str
    case: Case
    body_bytes: int


RESPONSES = (
    Response(
        "chunks",
        "10 chunks, 100 ms apart",
        Case("chunks", "10 chunks, 100 ms apart", "GET", "/stream", query="chunks=10&pause=0.1"),
        sum(len(chunk_line(number)) for number in range(10)),
    ),
    Response(
        "download",
        "20 MB download",
        Case("download", "20 MB download", "GET", "/stream/big", query="mb=20"),
        20 * MB,
    ),
)


def function_url_event(case: Case) -> dict[str, Any]:
    """The function URL event of `case`: an HTTP API 2.0 event under a `*.lambda-url.*` domain."""
    event = case.event()
    event["headers"]["host"] = FUNCTION_URL_HOST
    event["requestContext"].update(
        domainName=FUNCTION_URL_HOST, domainPrefix=FUNCTION_URL_HOST.split(".", 1)[0], apiId="a3xmplb7kzq5"
    )
    return event


@dataclass(frozen=True)
class Timing:
    """One answer, in ms from the invoke: its first body byte reaching the caller, and its last."""

    ttfb_ms: float
    total_ms: float

    @classmethod
    def of(cls, started: float, first_byte: float | None, last_byte: float) -> Timing:
        """From perf_counter() stamps in seconds; without a first byte of its own (a buffered result, all of it
        at the end) the first byte is the last."""
        first = last_byte if first_byte is None else first_byte
        return cls((first - started) * 1000, (last_byte - started) * 1000)


class Receiver:
    """The sink of a streamed answer: splits Lambda's frame and stamps the body's first and last bytes."""

    def __init__(self, clock: Callable[[], float] = perf_counter) -> None:
        self._clock = clock
        self.prelude: dict[str, Any] | None = None
        self.first_byte: float | None = None
        self.last_byte: float | None = None
        self.body_bytes = 0
        self._splitter = FrameSplitter(self._on_prelude, self._on_body)

    def __call__(self, chunk: bytes) -> None:
        self._splitter(chunk)

    def _on_prelude(self, prelude: dict[str, Any]) -> None:
        self.prelude = prelude

    def _on_body(self, chunk: bytes) -> None:
        if not chunk:
            return
        now = self._clock()
        if self.first_byte is None:
            self.first_byte = now
        self.last_byte = now
        self.body_bytes += len(chunk)

    def timing(self, started: float, ended: float) -> Timing:
        """Streamed: to the first and last body bytes (an empty body: both at the end)."""
        return Timing.of(started, self.first_byte, self.last_byte if self.last_byte is not None else ended)


@dataclass
class ResponseResult:
    response: Response
    streamed: list[Timing] = field(default_factory=list)
    buffered: list[Timing] = field(default_factory=list)
    buffered_status: int = 200  # a buffered answer other than 200 is not timed (over 6 MB: the layer's 500)

    def median_ms(self, mode: str, what: str) -> float | None:
        timings = self.streamed if mode == "streamed" else self.buffered
        return median(getattr(timing, what) for timing in timings) if timings else None

    def min_ms(self, mode: str, what: str) -> float | None:
        timings = self.streamed if mode == "streamed" else self.buffered
        return min(getattr(timing, what) for timing in timings) if timings else None

    def buffered_note(self) -> str | None:
        """Why the buffered answer has no time, if it has none."""
        if self.buffered_status == 200:
            return None
        over = "over 6 MB: " if self.response.body_bytes > MAX_BUFFERED else "status "
        return f"{over}{self.buffered_status}"


@dataclass
class LoopResult:
    """Per loop: init of fresh environments (ms), and warm batches of `requests` sequential invocations (ns)."""

    requests: int
    init_ms: dict[str, list[float]] = field(default_factory=lambda: {loop: [] for loop in LOOPS})
    batches_ns: dict[str, list[int]] = field(default_factory=lambda: {loop: [] for loop in LOOPS})

    def init_median_ms(self, loop: str) -> float:
        return median(self.init_ms[loop])

    def warm_us(self, loop: str) -> float:
        """Per invocation, fastest batch."""
        return min(self.batches_ns[loop]) / self.requests / 1000

    def warm_median_us(self, loop: str) -> float:
        return median(self.batches_ns[loop]) / self.requests / 1000

    def verdict(self) -> str:
        """Whether the layer's loop is faster than awslambdaric's, for init and for a warm invocation: a ratio
        (layer / awslambdaric) of the medians, which says so only when the fastest runs agree."""
        init = (
            self.init_median_ms(LAYER_LOOP) / self.init_median_ms(AWSLAMBDARIC),
            min(self.init_ms[LAYER_LOOP]) / min(self.init_ms[AWSLAMBDARIC]),
        )
        warm = (
            self.warm_median_us(LAYER_LOOP) / self.warm_median_us(AWSLAMBDARIC),
            self.warm_us(LAYER_LOOP) / self.warm_us(AWSLAMBDARIC),
        )
        return (
            f"the layer's loop against awslambdaric's, buffered: init {compare(*init)}, "
            f"warm invocation {compare(*warm)}"
        )


def compare(median_ratio: float, fastest_ratio: float) -> str:
    """`0.90x (faster)` when the medians' and the fastest runs' ratios both say so; within 3% of 1 is as fast."""

    def word(ratio: float) -> str:
        if abs(ratio - 1) <= SAME_WITHIN:
            return f"as fast, within {SAME_WITHIN:.0%}"
        return "faster" if ratio < 1 else "slower"

    said, fastest = word(median_ratio), word(fastest_ratio)
    if said == fastest:
        return f"{median_ratio:.2f}x ({said})"
    return f"{median_ratio:.2f}x median, {fastest_ratio:.2f}x fastest (no clear difference: {said}, then {fastest})"


@dataclass
class StreamResult:
    repeats: int
    responses: list[ResponseResult]
    loops: LoopResult


def measure_stream(
    tree: LambdaTree, *, repeats: int, cold_runs: int, requests: int, batches: int, python: str = sys.executable
) -> StreamResult:
    with open(os.devnull, "w") as devnull:
        output = Output(devnull, devnull)
        responses = _measure_responses(tree, output, repeats, python)
        loops = _measure_loops(tree, output, cold_runs, requests=requests, batches=batches, python=python)
    return StreamResult(repeats, responses, loops)


def streaming_config(tree: LambdaTree, python: str) -> FunctionConfig:
    """The stream views' function as a streaming function URL's: the layer's loop, function URL events streamed."""
    return function_config(tree, python, {**_wrapper(tree), "LAMBDA_WSGI_STREAM": "function-url", **_app()})


def loop_config(tree: LambdaTree, python: str, loop: str) -> FunctionConfig:
    """The default function (buffered) under awslambdaric's loop or the layer's."""
    return function_config(tree, python, _wrapper(tree) if loop == LAYER_LOOP else {})


def _wrapper(tree: LambdaTree) -> dict[str, str]:
    return {"AWS_LAMBDA_EXEC_WRAPPER": str(tree.root / "opt" / WRAPPER)}


def _app() -> dict[str, str]:
    return {"LAMBDA_WSGI_APP": STREAM_APP}


def _invoke(pool: Pool, event: dict[str, Any], sink: Receiver | None = None) -> tuple[Outcome, float, float]:
    payload = json.dumps(event).encode()
    started = perf_counter()
    outcome = pool.invoke(payload, TRACE_ID, sink=sink)
    ended = perf_counter()
    if outcome.error is not None:
        raise RuntimeError(f"{event['rawPath']} failed: {outcome.error}")
    return outcome, started, ended


def _streamed(pool: Pool, response: Response) -> Timing:
    receiver = Receiver()
    outcome, started, ended = _invoke(pool, function_url_event(response.case), receiver)
    status = (receiver.prelude or {}).get("statusCode")
    if not outcome.streamed or status != 200 or receiver.body_bytes != response.body_bytes:
        raise RuntimeError(
            f"{response.label} through a function URL: streamed {outcome.streamed}, status {status}, "
            f"{receiver.body_bytes} bytes (expected a 200 stream of {response.body_bytes})"
        )
    return receiver.timing(started, ended)


def _buffered(pool: Pool, response: Response) -> tuple[int, Timing]:
    outcome, started, ended = _invoke(pool, response.case.event())
    if outcome.streamed or outcome.result is None:
        raise RuntimeError(f"{response.label} through an HTTP API was streamed or empty")
    status, body = answer(json.loads(outcome.result))
    if status == 200 and len(body) != response.body_bytes:
        raise RuntimeError(f"{response.label} through an HTTP API: {len(body)} bytes, not {response.body_bytes}")
    return status, Timing.of(started, None, ended)


def _measure_responses(tree: LambdaTree, output: Output, repeats: int, python: str) -> list[ResponseResult]:
    results = [ResponseResult(response) for response in RESPONSES]
    pool = Pool(streaming_config(tree, python), 1, output)
    try:
        for number in range(repeats + 1):  # the first round is untimed: the cold start and first requests
            for result in results:
                streamed = _streamed(pool, result.response)
                status, buffered = _buffered(pool, result.response)
                if not number:
                    result.buffered_status = status
                    continue
                result.streamed.append(streamed)
                if status == 200:
                    result.buffered.append(buffered)
    finally:
        pool.close()
    return results


def _measure_loops(
    tree: LambdaTree, output: Output, cold_runs: int, *, requests: int, batches: int, python: str
) -> LoopResult:
    result = LoopResult(requests)
    configs = {loop: loop_config(tree, python, loop) for loop in LOOPS}
    event = COLD_START_CASE.event()
    for number in range(cold_runs + 1):  # the first round is untimed: it brings the files into the page cache
        for loop in _turns(number):
            init_ms = _cold_start(configs[loop], output, event, loop)
            if number:
                result.init_ms[loop].append(init_ms)
    pools = {loop: Pool(configs[loop], 1, output) for loop in LOOPS}
    try:
        for pool in pools.values():
            for _ in range(max(20, requests)):  # untimed: the first requests fill Flask's and werkzeug's caches
                _invoke(pool, event)
        for number in range(batches):
            for loop in _turns(number):
                result.batches_ns[loop].append(_batch(pools[loop], event, requests))
    finally:
        for pool in pools.values():
            pool.close()
    return result


def _turns(number: int) -> tuple[str, ...]:
    """The loops in the order round `number` runs them: each goes first every other round."""
    shift = number % len(LOOPS)
    return LOOPS[shift:] + LOOPS[:shift]


def _cold_start(config: FunctionConfig, output: Output, event: dict[str, Any], loop: str) -> float:
    """A fresh environment's init duration in ms, from its first invocation."""
    pool = Pool(config, 1, output)
    try:
        outcome, _, _ = _invoke(pool, event)
    finally:
        pool.close()
    if outcome.result is None or answer(json.loads(outcome.result))[0] != 200 or outcome.init_ms is None:
        raise RuntimeError(f"the first invocation under {loop}'s loop did not answer 200 after an init")
    return outcome.init_ms


def _batch(pool: Pool, event: dict[str, Any], requests: int) -> int:
    """ns for `requests` sequential invocations of `event` in the warm environment of `pool`."""
    payload = json.dumps(event).encode()
    started = perf_counter_ns()
    for _ in range(requests):
        if pool.invoke(payload, TRACE_ID).error is not None:
            raise RuntimeError(f"a warm invocation of {event['rawPath']} failed")
    return perf_counter_ns() - started
