"""The figures of a load run: requests, answers by status, and latency percentiles, per operation and in all.

Percentiles are nearest-rank: p90 is the latency that 90% of the requests took no longer than.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from .history import CREATE, DELETE, GET, LIST, UPDATE, Exchange

OPERATIONS = {CREATE: "POST", GET: "GET", UPDATE: "PATCH", DELETE: "DELETE", LIST: "GET list"}
PERCENTILES = (50, 90, 99)


def percentile(values: Sequence[float], rank: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(rank / 100 * len(ordered)) - 1)]


def status_counts(history: Sequence[Exchange]) -> Counter[str]:
    return Counter("no answer" if exchange.status is None else str(exchange.status) for exchange in history)


def overlapping_writes(history: Sequence[Exchange]) -> int:
    """How many PATCHes and DELETEs were in flight while another one to the same user was."""
    by_user: dict[str, list[Exchange]] = {}
    for exchange in history:
        if exchange.kind in (UPDATE, DELETE) and exchange.user_id is not None:
            by_user.setdefault(exchange.user_id, []).append(exchange)
    return sum(
        any(other is not write and other.started < write.ended and write.started < other.ended for other in writes)
        for writes in by_user.values()
        for write in writes
    )


def lines(history: Sequence[Exchange], seconds: float) -> list[str]:
    """The run's figures as printed by `./build.sh load`."""
    rate = len(history) / seconds if seconds > 0 else 0.0
    out = [f"Requests: {len(history)} in {seconds:.1f} s ({rate:.0f}/s)"]
    statuses = status_counts(history)
    out.append("Statuses: " + ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items())))
    taken = sum(exchange.status == 409 for exchange in history)
    out.append(
        f"Contention: {overlapping_writes(history)} PATCHes and DELETEs overlapped another to the same user; "
        f"{taken} writes found their address taken (409)"
    )
    header = (
        f"{'':<10}{'requests':>9}  " + "".join(f"{f'p{rank}':>8}" for rank in PERCENTILES) + f"{'max':>8}  statuses"
    )
    out += ["Latency (ms):", header]
    rows = [(label, [exchange for exchange in history if exchange.kind == kind]) for kind, label in OPERATIONS.items()]
    for label, exchanges in [*rows, ("all", list(history))]:
        if not exchanges:
            continue
        times = [exchange.seconds * 1000 for exchange in exchanges]
        figures = "".join(f"{percentile(times, rank):8.1f}" for rank in PERCENTILES) + f"{max(times):8.1f}"
        answers = ", ".join(f"{status}: {count}" for status, count in sorted(status_counts(exchanges).items()))
        out.append(f"{label:<10}{len(exchanges):>9}  {figures}  {answers}")
    return out
