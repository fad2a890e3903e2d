"""The benchmark's plumbing on tiny runs: fair answers, sane timings, cold starts, layer zips and the report.

Only this layer's adapter runs here; the peers live in .venv-bench, where the benchmark itself checks them alike.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bench import ROOT
from bench.adapters import CONTENDERS, OURS, VARIANTS, build_app, layer_finds_pybase64
from bench.cold import measure_cold
from bench.events import CASES, COLD_START_CASE, answer
from bench.layer_size import measure_layer, zip_tree
from bench.report import Figures, as_json, table, text
from bench.runtime import LambdaContext
from bench.warm import DIRECT, UnfairComparisonError, WarmResult, check_answers, direct_call, measure_warm
from lambda_wsgi import Adapter, encoding

OURS_CONTENDER = CONTENDERS[0]
EXPECTED_STATUS = {"get_json": 200, "post_json": 201, "binary": 200, "many_headers": 200}


@pytest.fixture(scope="module")
def app() -> Any:
    return build_app()


def test_the_cases_are_the_requests_the_benchmark_names() -> None:
    by_name = {case.name: case for case in CASES}
    assert set(by_name) == set(EXPECTED_STATUS)
    assert len(by_name["post_json"].body) >= 10 * 1024
    many = by_name["many_headers"].event()
    assert len(many["headers"]) >= 30
    assert len(many["cookies"]) == 10
    for case in CASES:
        event = case.event()
        assert event["version"] == "2.0"
        assert event["requestContext"]["http"]["method"] == case.method
        assert event["rawPath"] == case.path


def test_the_direct_call_serves_each_case(app: Any) -> None:
    for case in CASES:
        assert direct_call(app, case)()[0] == EXPECTED_STATUS[case.name], case.name
    image = direct_call(app, CASES[2])()[1]
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(image) == 64 * 1024
    many = json.loads(direct_call(app, CASES[3])()[1])
    assert many["customHeaders"] == 6
    assert len(many["cookies"]) == 10


def test_our_adapter_answers_every_case_as_the_app_does(app: Any) -> None:
    handler = OURS_CONTENDER.wrap(app)
    check_answers(app, {OURS: handler}, CASES)
    binary = handler(CASES[2].event(), LambdaContext())
    assert binary["isBase64Encoded"] is True
    assert answer(binary) == direct_call(app, CASES[2])()


def test_an_adapter_that_answers_differently_stops_the_comparison(app: Any) -> None:
    # With a base path of /users, /users/42 routes as /42: a real adapter, configured to answer other things.
    misrouting = Adapter(app, base_path="/users")
    with pytest.raises(UnfairComparisonError, match="GET, small JSON"):
        check_answers(app, {"misrouting": misrouting}, CASES)


def test_an_adapter_that_changes_the_event_stops_the_comparison(app: Any) -> None:
    ours = Adapter(app)

    def consuming(event: dict[str, Any], context: Any) -> Any:
        event.pop("cookies", None)
        return ours(event, context)

    with pytest.raises(UnfairComparisonError, match="changed the event"):
        check_answers(app, {"consuming": consuming}, [CASES[3]])


def test_warm_measurement_gives_positive_times_per_batch(app: Any) -> None:
    result = measure_warm(app, [OURS_CONTENDER], CASES, requests=5, repeats=2)
    assert set(result.batches) == {case.name for case in CASES}
    variants = [variant.name for variant in VARIANTS]
    assert all(result.measured(name) for name in variants)  # access line off, pybase64 in the function
    for case in CASES:
        for name in (DIRECT, OURS, *variants):
            batches = result.batches[case.name][name]
            assert len(batches) == 2
            assert all(0 < ns < 1e9 for ns in batches)
        assert result.per_request_us(case.name, OURS) == min(result.batches[case.name][OURS]) / 1000
        assert math.isfinite(result.overhead_us(case.name, OURS))
    total = sum(result.overhead_us(case.name, OURS) for case in CASES)
    assert result.total_overhead_us(OURS) == pytest.approx(total)


def test_the_layer_is_timed_without_pybase64_unless_the_variant_ships_it() -> None:
    import pybase64

    try:
        layer_finds_pybase64(True)
        assert encoding._base64()[0] is pybase64.b64encode_as_string
        layer_finds_pybase64(False)
        assert encoding._base64()[0] is encoding._b64encode
        with pytest.raises(ImportError):
            import pybase64 as blocked  # noqa: F401
    finally:
        layer_finds_pybase64(None)
    assert encoding._base64()[0] is pybase64.b64encode_as_string


@pytest.mark.slow
def test_a_cold_start_of_our_layer_imports_main_and_answers() -> None:
    results = measure_cold([OURS_CONTENDER], COLD_START_CASE, runs=2)
    cold = results[OURS]
    assert len(cold.first_response_ms) == 2
    for imported, first, process in zip(cold.import_ms, cold.first_response_ms, cold.process_ms, strict=True):
        assert 0 < imported <= first < process < 60_000
    assert all(cpu > 0 for cpu in cold.cpu_ms)


def test_the_layer_zip_leaves_bytecode_out_and_puts_files_under_python(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "pkg" / "__pycache__").mkdir(parents=True)
    (tree / "pkg" / "__init__.py").write_text("VALUE = 1\n" * 100)
    (tree / "pkg" / "__pycache__" / "__init__.cpython-313.pyc").write_bytes(b"\0" * 500)
    (tree / "pkg" / "stale.pyc").write_bytes(b"\0" * 500)
    size = zip_tree(tree, tmp_path / "layer.zip")
    with zipfile.ZipFile(tmp_path / "layer.zip") as archive:
        assert archive.namelist() == ["python/pkg/__init__.py"]
        assert archive.read("python/pkg/__init__.py") == b"VALUE = 1\n" * 100
    assert size.files == 1
    assert size.bytes == (tmp_path / "layer.zip").stat().st_size


@pytest.mark.slow
def test_our_layer_holds_the_adapter_and_flask() -> None:
    size = measure_layer(OURS_CONTENDER)
    assert 200 * 1024 < size.bytes < 5 * 1024 * 1024
    assert size.files > 100


def _figures(overheads: dict[str, float]) -> Figures:
    """Figures of a run in which each contender's handler took the app's time plus `overheads[name]` µs."""
    warm = WarmResult(requests=1, repeats=1)
    for case in CASES:
        warm.batches[case.name] = {DIRECT: [100_000.0]}
        for name, overhead in overheads.items():
            warm.batches[case.name][name] = [100_000.0 + overhead * 1000]
    contenders = [contender for contender in CONTENDERS if contender.name in overheads]
    return Figures(contenders=contenders, cases=list(CASES), warm=warm)


def test_the_ratios_compare_ours_with_the_fastest_peer() -> None:
    figures = _figures({OURS: 10.0, "apig-wsgi": 40.0, "serverless-wsgi": 25.0})
    overall = figures.ratios()[0]
    assert overall.best_peer == "serverless-wsgi"
    assert overall.value == pytest.approx(0.4)
    assert overall.met is True
    missed = _figures({OURS: 30.0, "serverless-wsgi": 25.0}).ratios()[0]
    assert missed.value == pytest.approx(1.2)
    assert missed.met is False
    report = text(figures)
    assert "0.40 vs serverless-wsgi" in report
    assert "target ≤ 0.5: met" in report


def test_the_table_has_a_row_per_adapter_and_the_json_every_figure() -> None:
    figures = _figures({OURS: 10.0, "apig-wsgi": 40.0})
    rows = table(figures).splitlines()
    assert len(rows) == 2 + 2 + 1  # header, separator, two adapters, Flask alone
    assert rows[2].startswith("| lambda_wsgi (this layer)")
    assert "10.0" in rows[2]
    data = json.loads(json.dumps(as_json(figures)))
    assert data["warm"]["cases"]["get_json"]["overhead_us"] == {OURS: 10.0, "apig-wsgi": 40.0}


@pytest.mark.slow
def test_the_command_runs_quick_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "warm", "--adapters", OURS, "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "| lambda_wsgi (this layer)" in completed.stdout
    data = json.loads(out.read_text())
    assert set(data["warm"]["cases"]) == {case.name for case in CASES}
