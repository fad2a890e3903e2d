"""The load run's figures: nearest-rank percentiles, answers by status, and how often writes overlapped."""

from __future__ import annotations

import math

from tools.loadtest import report
from tools.loadtest.history import CREATE, DELETE, UPDATE, Exchange


def exchange(kind: str, status: int | None, started: float, ended: float, user_id: str | None = "u") -> Exchange:
    return Exchange(1, kind, user_id, None, status, None, started, ended)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert [report.percentile(values, rank) for rank in (50, 90, 99, 100)] == [50.0, 90.0, 99.0, 100.0]
    assert report.percentile([3.0], 99) == 3.0
    assert math.isnan(report.percentile([], 50))


def test_overlapping_writes_count_each_write_in_flight_with_another_to_its_user() -> None:
    history = [
        exchange(UPDATE, 200, 0, 10),
        exchange(DELETE, 204, 5, 15),  # overlaps the first
        exchange(UPDATE, 404, 20, 30),  # after both
        exchange(UPDATE, 200, 0, 10, user_id="other"),
        exchange(CREATE, 201, 0, 10, user_id=None),
    ]
    assert report.overlapping_writes(history) == 2


def test_the_lines_hold_counts_statuses_and_percentiles() -> None:
    history = [exchange(UPDATE, 200, 0, 0.010), exchange(UPDATE, 409, 0, 0.020), exchange(CREATE, None, 0, 0.030)]
    lines = report.lines(history, 2.0)
    assert lines[0] == "Requests: 3 in 2.0 s (2/s)"
    assert lines[1] == "Statuses: 200: 1, 409: 1, no answer: 1"
    assert lines[2].startswith("Contention: 2 PATCHes and DELETEs overlapped another to the same user; 1 writes")
    assert any(
        line.startswith("PATCH             2      10.0    20.0    20.0    20.0  200: 1, 409: 1") for line in lines
    )
    assert lines[-1].startswith("all               3")
