"""The stream metric: time to first byte and total from timestamps, the frame split as it arrives, the verdict on
the runtime loops and the report; then a small real run on serve's Runtime API. No timing is asserted.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from itertools import count

import pytest

from lambda_wsgi.sources import find_source, sources
from lambda_wsgi.streaming import DELIMITER
from tools.bench.adapters import CONTENDERS
from tools.bench.events import CASES
from tools.bench.packaging import Deployed, build_package, unpack
from tools.bench.report import Figures, as_json, stream_lines, text
from tools.bench.stream import (
    AWSLAMBDARIC,
    LAYER_LOOP,
    LOOPS,
    MB,
    RESPONSES,
    LoopResult,
    Receiver,
    ResponseResult,
    StreamResult,
    Timing,
    compare,
    function_url_event,
    measure_stream,
)

OURS_CONTENDER = next(contender for contender in CONTENDERS if contender.is_ours)
CHUNKS, DOWNLOAD = RESPONSES


def test_time_to_first_byte_and_total_are_from_the_invoke_in_ms() -> None:
    timing = Timing.of(started=10.0, first_byte=10.002, last_byte=10.9)
    assert timing.ttfb_ms == pytest.approx(2.0)
    assert timing.total_ms == pytest.approx(900.0)
    buffered = Timing.of(started=10.0, first_byte=None, last_byte=10.25)  # the whole result at the end
    assert buffered.ttfb_ms == buffered.total_ms == pytest.approx(250.0)


def test_the_receiver_stamps_the_first_and_last_body_bytes_not_the_prelude() -> None:
    clock = count(1)  # each stamp is the next second
    receiver = Receiver(clock=lambda: float(next(clock)))
    prelude = json.dumps({"statusCode": 200, "headers": {"content-type": "text/plain"}}).encode()
    receiver(prelude[:10])  # the prelude arrives in pieces: nothing is stamped until the body starts
    receiver(prelude[10:] + DELIMITER[:3])
    assert (receiver.prelude, receiver.first_byte) == (None, None)
    receiver(DELIMITER[3:] + b"chunk 0\n")  # the rest of the delimiter and the first body bytes together
    receiver(b"")
    receiver(b"chunk 1\n")
    assert receiver.prelude == {"statusCode": 200, "headers": {"content-type": "text/plain"}}
    assert (receiver.first_byte, receiver.last_byte, receiver.body_bytes) == (1.0, 2.0, 16)
    timing = receiver.timing(started=0.5, ended=9.0)
    assert timing == Timing(500.0, 1500.0)  # to the last body byte, not to the end of the invocation


def test_an_empty_streamed_body_is_timed_to_the_end() -> None:
    receiver = Receiver(clock=lambda: 99.0)
    receiver(b'{"statusCode": 204}' + DELIMITER)
    assert receiver.timing(started=1.0, ended=1.5) == Timing(500.0, 500.0)


def test_the_function_url_event_is_one_the_layer_streams_and_the_http_api_event_is_not() -> None:
    for response in RESPONSES:
        assert find_source(function_url_event(response.case), sources()).name == "function-url"
        assert find_source(response.case.event(), sources()).name != "function-url"
    assert CHUNKS.case.query == "chunks=10&pause=0.1"
    assert CHUNKS.body_bytes == 80
    assert DOWNLOAD.body_bytes == 20 * MB


def test_a_buffered_answer_over_6_mb_is_reported_as_its_500_not_as_a_time() -> None:
    over = ResponseResult(DOWNLOAD, streamed=[Timing(2.0, 30.0), Timing(3.0, 20.0), Timing(4.0, 25.0)])
    over.buffered_status = 500
    assert over.buffered_note() == "over 6 MB: 500"
    assert over.min_ms("streamed", "ttfb_ms") == 2.0
    assert over.median_ms("streamed", "total_ms") == 25.0
    assert over.min_ms("buffered", "total_ms") is None
    small = ResponseResult(CHUNKS, buffered=[Timing(900.0, 900.0)])
    assert small.buffered_note() is None


def _loops(init: dict[str, list[float]], warm_ns: dict[str, list[int]]) -> LoopResult:
    return LoopResult(requests=10, init_ms=init, batches_ns=warm_ns)


def test_the_verdict_says_whether_the_layers_loop_is_faster_than_awslambdarics() -> None:
    loops = _loops(
        {AWSLAMBDARIC: [400.0, 500.0, 450.0], LAYER_LOOP: [300.0, 350.0, 340.0]},
        {AWSLAMBDARIC: [10_000_000, 9_000_000], LAYER_LOOP: [12_000_000, 13_000_000]},
    )
    assert loops.init_median_ms(LAYER_LOOP) == 340.0
    assert loops.warm_us(AWSLAMBDARIC) == 900.0  # per invocation, fastest batch
    assert loops.warm_median_us(LAYER_LOOP) == 1250.0
    assert loops.verdict() == (
        "the layer's loop against awslambdaric's, buffered: init 0.76x (faster), warm invocation 1.32x (slower)"
    )
    same = _loops({loop: [400.0] for loop in LOOPS}, {AWSLAMBDARIC: [10_000_000], LAYER_LOOP: [10_200_000]})
    assert "init 1.00x (as fast, within 3%), warm invocation 1.02x (as fast, within 3%)" in same.verdict()


def test_the_verdict_claims_no_difference_when_the_medians_and_the_fastest_runs_disagree() -> None:
    assert compare(0.93, 0.92) == "0.93x (faster)"
    assert compare(0.93, 1.41) == "0.93x median, 1.41x fastest (no clear difference: faster, then slower)"
    assert compare(1.01, 0.80) == ("1.01x median, 0.80x fastest (no clear difference: as fast, within 3%, then faster)")


def _result() -> StreamResult:
    chunks = ResponseResult(CHUNKS, streamed=[Timing(2.0, 905.0)], buffered=[Timing(903.0, 903.0)])
    download = ResponseResult(DOWNLOAD, streamed=[Timing(3.0, 40.0)], buffered_status=500)
    loops = _loops({AWSLAMBDARIC: [400.0], LAYER_LOOP: [420.0]}, {AWSLAMBDARIC: [5_000_000], LAYER_LOOP: [5_500_000]})
    return StreamResult(1, [chunks, download], loops)


def test_the_report_has_a_table_per_part_and_the_json_every_figure() -> None:
    result = _result()
    lines = "\n".join(stream_lines(result)).splitlines()
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.strip("|").split("|")]
        for line in lines
        if line.startswith("| ")
    }
    assert rows["10 chunks, 100 ms apart"][1:] == ["2.0", "905.0", "903.0", "903.0"]
    assert rows["20 MB download"][1:] == ["3.0", "40.0", "over 6 MB: 500", "over 6 MB: 500"]
    loop_rows = [cells for label, cells in rows.items() if label.startswith(("awslambdaric", "the layer's loop"))]
    assert [cells[1] for cells in loop_rows] == ["400.0", "420.0"]
    assert [cells[3] for cells in loop_rows] == ["500.0", "550.0"]
    figures = Figures(contenders=[OURS_CONTENDER], cases=list(CASES), stream=result)
    report = text(figures)
    assert "| Contender" not in report  # no other metric ran: no table of contenders
    assert "init 1.05x (slower), warm invocation 1.10x (slower)" in report
    assert "the default stays awslambdaric's" in report
    data = json.loads(json.dumps(as_json(figures)))["stream"]
    assert data["responses"]["download"]["buffered_note"] == "over 6 MB: 500"
    assert data["responses"]["download"]["buffered_total"]["min"] is None
    assert data["responses"]["chunks"]["streamed_ttfb"] == {"min": 2.0, "median": 2.0, "runs": [2.0]}
    assert data["runtime_loops"][LAYER_LOOP]["warm_us"] == 550.0
    assert data["runtime_loops"][AWSLAMBDARIC]["init_ms"] == [400.0]


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    work = tmp_path_factory.mktemp("ours-stream")
    package = build_package(OURS_CONTENDER, work / "build")
    yield Deployed(package, unpack(package, work / "lambda"))
    subprocess.run(["chmod", "-R", "u+w", str(work)], check=True)


@pytest.mark.slow
def test_a_small_run_streams_under_the_layers_loop_and_times_both_loops(ours: Deployed) -> None:
    result = measure_stream(ours.tree, repeats=1, cold_runs=1, requests=3, batches=2)
    chunks, download = result.responses
    (streamed,) = chunks.streamed
    (buffered,) = chunks.buffered
    assert 0 < streamed.ttfb_ms < streamed.total_ms  # the first chunk came before the other nine
    assert streamed.total_ms - streamed.ttfb_ms >= 900 * 0.9  # nine pauses of 100 ms
    assert buffered.ttfb_ms == buffered.total_ms >= 900 * 0.9
    assert download.buffered_note() == "over 6 MB: 500"
    assert len(download.streamed) == 1
    assert download.buffered == []
    for loop in LOOPS:
        assert len(result.loops.init_ms[loop]) == 1
        assert result.loops.init_ms[loop][0] > 0
        assert len(result.loops.batches_ns[loop]) == 2
