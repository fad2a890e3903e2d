"""Warm per-request overhead: a handler's time minus the same Flask app called directly.

Short batches are timed in turns across all rows, and each figure is the fastest batch: on a shared machine other
processes only ever add time, so the minimum is the steadiest estimate (the median is kept in the JSON). Every row
runs under awslambdaric's own logging (its text format, or its JSON format for the row that says so).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from io import BytesIO
from statistics import median
from time import perf_counter_ns
from typing import Any

from .adapters import Handler, Row, layer_finds_pybase64, pybase64_available
from .events import Case, answer
from .runtime import LambdaContext, RuntimeLogging

DIRECT = "direct"
# In a geometric mean (whose logarithms need positive values), an overhead below this counts as this: a handler
# timed as fast as the direct call or faster is within the noise of these timings, which resolve about 1 µs, and a
# smaller floor would let one such case swing the mean by orders of magnitude.
EPSILON_US = 1.0


class UnfairComparisonError(Exception):
    """A handler answered a request differently from the app called directly, so timing it would mislead."""


def geomean(values: Iterable[float], epsilon: float = EPSILON_US) -> float:
    """The geometric mean, each value below `epsilon` (zero and negatives included) counted as `epsilon`."""
    floored = [max(value, epsilon) for value in values]
    if not floored:
        raise ValueError("the geometric mean of nothing")
    return math.exp(sum(math.log(value) for value in floored) / len(floored))


@dataclass
class WarmResult:
    """Nanoseconds per request of every timed batch, by case and by row (`direct` is Flask alone)."""

    batches: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    requests: int = 0
    repeats: int = 0

    def measured(self, row: str) -> bool:
        return bool(self.batches) and all(row in by_row for by_row in self.batches.values())

    def per_request_us(self, case: str, row: str) -> float:
        return min(self.batches[case][row]) / 1000

    def median_us(self, case: str, row: str) -> float:
        return median(self.batches[case][row]) / 1000

    def overhead_us(self, case: str, row: str) -> float:
        return self.per_request_us(case, row) - self.per_request_us(case, DIRECT)

    def geomean_overhead_us(self, row: str) -> float:
        """The geometric mean over the cases of the row's overhead (values below EPSILON_US count as EPSILON_US)."""
        return geomean(self.overhead_us(case, row) for case in self.batches)

    def geomean_direct_us(self) -> float:
        return geomean(self.per_request_us(case, DIRECT) for case in self.batches)


def direct_call(app: Any, case: Case) -> Callable[[], tuple[int, bytes]]:
    """Call the app as a minimal WSGI server would, with an environ built before the clock starts."""
    prebuilt = case.environ()
    body = case.body

    def call() -> tuple[int, bytes]:
        environ = prebuilt.copy()
        environ["wsgi.input"] = BytesIO(body)
        status: list[str] = []

        def start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            status.append(line)
            return chunks.append

        chunks: list[bytes] = []
        iterable = app(environ, start_response)
        try:
            chunks.extend(iterable)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
        return int(status[-1].split(" ", 1)[0]), b"".join(chunks)

    return call


def check_answers(
    app: Any, handlers: dict[str, Handler], cases: Iterable[Case], setups: dict[str, Callable[[], None]] | None = None
) -> None:
    """Every handler must answer every case with the status and body bytes of the direct call."""
    context = LambdaContext()
    for case in cases:
        expected = direct_call(app, case)()
        for name, handler in handlers.items():
            if setups and name in setups:
                setups[name]()
            event = case.event()
            got = answer(handler(event, context))
            if event != case.event():
                raise UnfairComparisonError(f"{name} changed the event of {case.label!r}; it can't be reused")
            if got != expected:
                raise UnfairComparisonError(
                    f"{name} answered {case.label!r} with status {got[0]} and {len(got[1])} body bytes "
                    f"({got[1][:80]!r}), the app directly with {expected[0]} and {len(expected[1])} "
                    f"({expected[1][:80]!r})"
                )


def row_setup(row: Row | None, logging: RuntimeLogging) -> Callable[[], None]:
    """What runs before each of the row's batches: the runtime's log format and whether pybase64 is importable."""
    log_format = row.log_format if row is not None else "text"
    found = row.pybase64 if row is not None else None
    if found and not pybase64_available():
        raise SystemExit("pybase64 is not installed here, and the layer as shipped has it: use ./build.sh bench")

    def setup() -> None:
        logging.use(log_format)
        layer_finds_pybase64(found)

    return setup


def _time_batch(call: Callable[[], object], requests: int, setup: Callable[[], None]) -> float:
    setup()
    gc.collect()
    started = perf_counter_ns()
    for _ in range(requests):
        call()
    return (perf_counter_ns() - started) / requests


def measure_warm(
    app: Any, rows: list[Row], cases: Iterable[Case], logging: RuntimeLogging, *, requests: int, repeats: int
) -> WarmResult:
    """Per-request time of the fastest of `repeats` batches of `requests` calls, after a warm-up, for each row
    and the direct call; every row must first answer every case as the direct call does."""
    handlers = {row.name: row.wrap(app) for row in rows}
    setups = {row.name: row_setup(row, logging) for row in rows}
    setups[DIRECT] = row_setup(None, logging)
    cases = list(cases)
    try:
        check_answers(app, handlers, cases, setups)
        context = LambdaContext()
        calls: dict[str, dict[str, Callable[[], object]]] = {}
        for case in cases:
            event = case.event()
            calls[case.name] = {DIRECT: direct_call(app, case)}
            for name, handler in handlers.items():
                calls[case.name][name] = _bind(handler, event, context)
        result = WarmResult(requests=requests, repeats=repeats)
        for case_name, by_row in calls.items():
            result.batches[case_name] = {name: [] for name in by_row}
            for name, call in by_row.items():
                _time_batch(call, max(50, requests), setups[name])
        # What import and set-up left on the heap is moved out of the collector's reach: a collection during a
        # batch then costs what the batch allocated, not a walk over the whole heap at a random moment.
        gc.collect()
        gc.freeze()
        for _ in range(repeats):
            for case_name, by_row in calls.items():
                for name, call in by_row.items():
                    result.batches[case_name][name].append(_time_batch(call, requests, setups[name]))
        return result
    finally:
        gc.unfreeze()
        setups[DIRECT]()
        layer_finds_pybase64(None)


def _bind(handler: Handler, event: dict[str, Any], context: Any) -> Callable[[], object]:
    # Adapters must not change the event; a warm Lambda gets a fresh one per request, this one is reused.
    return lambda: handler(event, context)
