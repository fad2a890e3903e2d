"""Warm per-request overhead: an adapter's handler time minus the same Flask app called directly.

Short batches are timed in turns across all contenders, and each figure is the fastest batch: on a shared machine
other processes only ever add time, so the minimum is the steadiest estimate (the median is kept in the JSON).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from io import BytesIO
from statistics import median
from time import perf_counter_ns
from typing import Any

from .adapters import OURS, VARIANTS, Contender, Handler, layer_finds_pybase64, pybase64_available
from .events import Case, answer
from .runtime import LambdaContext

DIRECT = "direct"


class UnfairComparisonError(Exception):
    """An adapter answered a request differently from the app called directly, so timing it would mislead."""


@dataclass
class WarmResult:
    """Nanoseconds per request of every timed batch, by case and by contender (`direct` is Flask alone)."""

    batches: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    requests: int = 0
    repeats: int = 0

    def measured(self, contender: str) -> bool:
        return all(contender in by_contender for by_contender in self.batches.values())

    def per_request_us(self, case: str, contender: str) -> float:
        return min(self.batches[case][contender]) / 1000

    def median_us(self, case: str, contender: str) -> float:
        return median(self.batches[case][contender]) / 1000

    def overhead_us(self, case: str, contender: str) -> float:
        return self.per_request_us(case, contender) - self.per_request_us(case, DIRECT)

    def total_overhead_us(self, contender: str) -> float:
        return sum(self.overhead_us(case, contender) for case in self.batches)


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
            _set_up(setups, name)
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


def _set_up(setups: dict[str, Callable[[], None]] | None, name: str) -> None:
    if setups and name in setups:
        setups[name]()


def _time_batch(call: Callable[[], object], requests: int, setup: Callable[[], None] | None = None) -> float:
    if setup is not None:
        setup()
    gc.collect()
    started = perf_counter_ns()
    for _ in range(requests):
        call()
    return (perf_counter_ns() - started) / requests


def measure_warm(
    app: Any, contenders: list[Contender], cases: Iterable[Case], *, requests: int, repeats: int
) -> WarmResult:
    """Per-request time of the fastest of `repeats` batches of `requests` calls, after a warm-up, for each."""
    handlers = {contender.name: contender.wrap(app) for contender in contenders}
    setups: dict[str, Callable[[], None]] = {}
    if any(contender.is_ours for contender in contenders):
        # The layer as shipped finds no pybase64, a variant may; the codec is switched before each batch.
        setups[OURS] = lambda: layer_finds_pybase64(False)
        for variant in VARIANTS:
            if variant.pybase64 and not pybase64_available():
                continue
            handlers[variant.name] = variant.wrap(app)
            setups[variant.name] = lambda found=variant.pybase64: layer_finds_pybase64(found)
    cases = list(cases)
    check_answers(app, handlers, cases, setups)
    context = LambdaContext()
    calls: dict[str, dict[str, Callable[[], object]]] = {}
    for case in cases:
        event = case.event()
        calls[case.name] = {DIRECT: direct_call(app, case)}
        for name, handler in handlers.items():
            calls[case.name][name] = _bind(handler, event, context)
    result = WarmResult(requests=requests, repeats=repeats)
    for case_name, by_contender in calls.items():
        result.batches[case_name] = {name: [] for name in by_contender}
        for name, call in by_contender.items():
            _time_batch(call, max(50, requests), setups.get(name))
    for _ in range(repeats):
        for case_name, by_contender in calls.items():
            for name, call in by_contender.items():
                result.batches[case_name][name].append(_time_batch(call, requests, setups.get(name)))
    if setups:
        layer_finds_pybase64(None)
    return result


def _bind(handler: Handler, event: dict[str, Any], context: Any) -> Callable[[], object]:
    # Adapters must not change the event; a warm Lambda gets a fresh one per request, this one is reused.
    return lambda: handler(event, context)
