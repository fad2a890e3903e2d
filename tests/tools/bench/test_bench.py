"""The benchmark's plumbing on tiny runs: fair answers, the rows' setups, packages as deployed, cold starts that
load bytecode, the geomean and the report. No timing is asserted.

The peers are installed only in .venv-bench (where the benchmark itself checks them alike), so their warm rows are
skipped here; their packages need only pip, so a peer's layer is built and cold-started here too.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambda_wsgi import Adapter
from tools.bench import ROOT
from tools.bench.adapters import (
    CONTENDERS,
    FLOOR,
    OURS,
    Contender,
    Row,
    build_app,
    layer_encoder,
    layer_finds_pybase64,
    select,
    warm_rows,
)
from tools.bench.base64_cost import BODY_BYTES, measure_base64
from tools.bench.cold import ColdResult, measure_cold, run_child
from tools.bench.events import CASES, COLD_START_CASE, answer
from tools.bench.packaging import Deployed, LambdaTree, build_package, unpack
from tools.bench.report import Figures, as_json, table, text
from tools.bench.runtime import REQUEST_ID, LambdaContext, RuntimeLogging, read_frames
from tools.bench.warm import (
    DIRECT,
    EPSILON_US,
    UnfairComparisonError,
    WarmResult,
    check_answers,
    direct_call,
    geomean,
    measure_warm,
    row_setup,
)

BY_NAME = {contender.name: contender for contender in CONTENDERS}
OURS_CONTENDER = BY_NAME[OURS]
FLOOR_CONTENDER = BY_NAME[FLOOR]
EXPECTED_STATUS = {"get_json": 200, "post_json": 201, "binary": 200, "many_headers": 200}


@pytest.fixture(scope="module")
def app() -> Any:
    return build_app()


@pytest.fixture
def runtime_logging() -> Iterator[RuntimeLogging]:
    with RuntimeLogging() as logging:
        logging.use("text")
        yield logging


def _installed_rows() -> list[Row]:
    """Every warm row whose contender is installed here: ours, its variants and the floor (and peers, if any)."""
    return [row for row in warm_rows(list(CONTENDERS)) if row.contender.available()]


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


def test_the_rows_are_ours_as_shipped_then_its_variants_then_the_peers_and_the_floor() -> None:
    rows = warm_rows(list(CONTENDERS))
    assert [row.name for row in rows] == [
        OURS,
        "lambda_wsgi-access-text",
        "lambda_wsgi-access-json",
        "lambda_wsgi-stdlib-base64",
        "apig-wsgi",
        "serverless-wsgi",
        "mangum",
        FLOOR,
    ]
    shipped, text_row, json_row, stdlib_row = rows[:4]
    assert (shipped.access_log, shipped.log_format, shipped.pybase64) == (False, "text", True)
    assert (text_row.access_log, text_row.log_format) == (True, "text")
    assert (json_row.access_log, json_row.log_format) == (True, "json")
    assert (stdlib_row.access_log, stdlib_row.pybase64) == (False, False)
    assert [c.name for c in select(["mangum"])] == [OURS, "mangum", FLOOR]
    with pytest.raises(SystemExit, match="unknown adapter"):
        select(["flask-lambda"])


def test_every_row_installed_here_answers_every_case_as_the_app_does(app: Any, runtime_logging: RuntimeLogging) -> None:
    rows = _installed_rows()
    assert {OURS, FLOOR} <= {row.name for row in rows}
    handlers = {row.name: row.wrap(app) for row in rows}
    check_answers(app, handlers, CASES, {row.name: row_setup(row, runtime_logging) for row in rows})
    for name in (OURS, FLOOR):
        binary = handlers[name](CASES[2].event(), LambdaContext())
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


def test_warm_measurement_times_every_row_and_the_direct_call(app: Any, runtime_logging: RuntimeLogging) -> None:
    rows = [row for row in _installed_rows() if row.contender.role != "peer"]
    result = measure_warm(app, rows, CASES, runtime_logging, requests=3, repeats=2)
    assert set(result.batches) == {case.name for case in CASES}
    for case in CASES:
        for name in (DIRECT, *(row.name for row in rows)):
            batches = result.batches[case.name][name]
            assert len(batches) == 2
            assert all(0 < ns < 1e9 for ns in batches)
        assert result.per_request_us(case.name, OURS) == min(result.batches[case.name][OURS]) / 1000
    overheads = [result.overhead_us(case.name, OURS) for case in CASES]
    assert result.geomean_overhead_us(OURS) == pytest.approx(geomean(overheads))
    assert runtime_logging.current == "text"  # put back after the JSON row


def test_the_geomean_counts_overheads_below_epsilon_as_epsilon() -> None:
    assert geomean([2.0, 8.0]) == pytest.approx(4.0)
    assert geomean([4.0, 4.0, 4.0]) == pytest.approx(4.0)
    # 0 and a negative overhead (as fast as the direct call, within noise) both count as EPSILON_US.
    assert geomean([0.0, 16.0]) == pytest.approx(math.sqrt(EPSILON_US * 16.0))
    assert geomean([-5.0, 16.0]) == pytest.approx(math.sqrt(EPSILON_US * 16.0))
    assert geomean([EPSILON_US / 2, EPSILON_US * 4]) == pytest.approx(EPSILON_US * 2)
    with pytest.raises(ValueError, match="nothing"):
        geomean([])
    warm = _warm({OURS: [10.0, -3.0, 40.0, 0.0]})
    assert warm.geomean_overhead_us(OURS) == pytest.approx((10.0 * EPSILON_US * 40.0 * EPSILON_US) ** 0.25)


def test_the_layer_as_shipped_uses_pybase64_and_the_stdlib_row_does_not() -> None:
    import pybase64

    try:
        layer_finds_pybase64(True)
        assert layer_encoder() is pybase64.b64encode_as_string
        layer_finds_pybase64(False)
        assert layer_encoder() is not pybase64.b64encode_as_string
        assert layer_encoder()(b"\x00\xff") == "AP8="
        with pytest.raises(ImportError):
            import pybase64 as blocked  # noqa: F401
    finally:
        layer_finds_pybase64(None)
    assert layer_encoder() is pybase64.b64encode_as_string


def test_the_base64_figure_times_the_shipped_codec_and_the_stdlib() -> None:
    result = measure_base64(calls=2, repeats=2)
    assert "pybase64" in result.codecs["shipped"]
    assert "pybase64" not in result.codecs["stdlib"]
    assert all(len(batches) == 2 and all(ns > 0 for ns in batches) for batches in result.batches.values())
    assert BODY_BYTES == 100 * 1024


def _access_lines(app: Any, path: Path, row_name: str) -> list[tuple[bytes, str]]:
    """The frames the runtime's sink writes while `row_name` answers one request."""
    (row,) = [row for row in warm_rows([OURS_CONTENDER]) if row.name == row_name]
    with RuntimeLogging(str(path)) as logging:
        row_setup(row, logging)()
        row.wrap(app)(COLD_START_CASE.event(), LambdaContext())
        layer_finds_pybase64(None)
    return read_frames(path.read_bytes())


def test_the_access_line_rows_log_through_the_runtime_in_its_text_format(app: Any, tmp_path: Path) -> None:
    from awslambdaric.lambda_runtime_log_utils import _TEXT_FRAME_TYPES

    frames = _access_lines(app, tmp_path / "text.log", "lambda_wsgi-access-text")
    assert len(frames) == 1
    frame_type, line = frames[0]
    assert frame_type == _TEXT_FRAME_TYPES[0]  # the text handler frames every line as NOTSET
    match = re.fullmatch(rf"\[INFO\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{REQUEST_ID}\t(.+)\n", line)
    assert match, line
    assert "/users/42" in match[1]
    assert "200" in match[1]


def test_the_access_line_rows_log_through_the_runtime_in_its_json_format(app: Any, tmp_path: Path) -> None:
    from awslambdaric.lambda_runtime_log_utils import _JSON_FRAME_TYPES

    frames = _access_lines(app, tmp_path / "json.log", "lambda_wsgi-access-json")
    assert len(frames) == 1
    frame_type, line = frames[0]
    assert frame_type == _JSON_FRAME_TYPES[20]
    assert line.endswith("\n")
    record = json.loads(line)
    assert record["level"] == "INFO"
    assert record["requestId"] == REQUEST_ID
    assert record["logger"] == "lambda_wsgi"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["timestamp"])
    assert "/users/42" in json.dumps(record["message"])


def test_the_layer_as_shipped_writes_no_access_line(app: Any, tmp_path: Path) -> None:
    assert _access_lines(app, tmp_path / "off.log", OURS) == []


# --- report ----------------------------------------------------------------------------------------------


def _warm(overheads: dict[str, list[float]]) -> WarmResult:
    """A run in which each row's handler took the app's 100 µs plus `overheads[name][i]` µs on case i."""
    warm = WarmResult(requests=1, repeats=1)
    for index, case in enumerate(CASES):
        warm.batches[case.name] = {DIRECT: [100_000.0]}
        for name, per_case in overheads.items():
            warm.batches[case.name][name] = [100_000.0 + per_case[index] * 1000]
    return warm


def _cold(ms: float) -> ColdResult:
    return ColdResult(
        import_ms=[ms * 0.9], first_response_ms=[ms], cpu_ms=[ms], process_ms=[ms + 20], modules_from_package=100
    )


def _figures(overheads: dict[str, float], cold: dict[str, float] | None = None) -> Figures:
    names = set(overheads) | set(cold or {})
    contenders = [contender for contender in CONTENDERS if contender.name in names]
    rows = [row for row in warm_rows(contenders) if row.name in overheads]
    return Figures(
        contenders=contenders,
        cases=list(CASES),
        rows=rows,
        warm=_warm({name: [value] * len(CASES) for name, value in overheads.items()}),
        cold={name: _cold(ms) for name, ms in cold.items()} if cold else None,
        cold_runs=1,
    )


def test_the_warm_target_compares_ours_with_the_best_peers_geomean() -> None:
    figures = _figures({OURS: 10.0, "apig-wsgi": 40.0, "serverless-wsgi": 25.0, FLOOR: 5.0})
    (warm,) = figures.targets()
    assert warm.reference == "serverless-wsgi"  # the floor is no peer
    assert warm.value == pytest.approx(0.4)
    assert warm.met is True
    missed = _figures({OURS: 30.0, "serverless-wsgi": 25.0}).targets()[0]
    assert missed.value == pytest.approx(1.2)
    assert missed.met is False
    report = text(figures)
    assert "0.40x serverless-wsgi (10.0 / 25.0 µs), target ≤ 0.5x: met" in report
    assert "1.20x serverless-wsgi" in text(_figures({OURS: 30.0, "serverless-wsgi": 25.0}))
    assert "MISSED" in text(_figures({OURS: 30.0, "serverless-wsgi": 25.0}))
    assert f"counted as {EPSILON_US:g} µs" in report


def test_the_cold_targets_compare_ours_with_the_floor_and_the_best_peer() -> None:
    figures = _figures({}, cold={OURS: 210.0, "apig-wsgi": 220.0, "mangum": 300.0, FLOOR: 200.0})
    floor, peer = figures.targets()
    assert (floor.reference, floor.target, floor.met) == ("the floor", 1.05, True)
    assert floor.value == pytest.approx(1.05)
    assert (peer.reference, peer.target, peer.met) == ("apig-wsgi", 1.0, True)
    assert peer.value == pytest.approx(210 / 220)
    slow = _figures({}, cold={OURS: 230.0, "apig-wsgi": 220.0, FLOOR: 200.0}).targets()
    assert [target.met for target in slow] == [False, False]
    report = text(figures)
    assert "cold start of the default package: 1.05x the floor (210.0 / 200.0 ms), target ≤ 1.05x: met" in report
    assert "Bytecode: every module of every package loaded from its pycs" in report
    figures.cold[OURS].compiled_from_package = ["/x/flask/__init__.py"]  # type: ignore[index]
    assert "WARNING: lambda_wsgi's package lacks valid bytecode: 1 of its 100 modules" in text(figures)


def test_the_base64_target_is_absolute() -> None:
    figures = _figures({OURS: 10.0})
    figures.base64 = measure_base64(calls=1, repeats=1)
    figures.base64.batches = {"shipped": [9_000.0], "stdlib": [90_000.0]}
    (target,) = figures.targets()
    assert (target.value, target.target, target.met) == (9.0, 10.0, True)
    report = text(figures)
    assert "base64 of a 100 KB binary response, as shipped (pybase64" in report
    assert ": 9.0 µs, target ≤ 10 µs: met" in report
    assert "with the standard library" in report
    assert "90.0 µs" in report
    figures.base64.batches["shipped"] = [12_000.0]
    assert "12.0 µs, target ≤ 10 µs: MISSED" in text(figures)


def test_the_table_has_a_line_per_row_and_the_json_every_figure() -> None:
    figures = _figures(
        {OURS: 10.0, "lambda_wsgi-access-text": 60.0, "apig-wsgi": 40.0, FLOOR: 5.0},
        cold={OURS: 210.0, "apig-wsgi": 220.0, FLOOR: 200.0},
    )
    lines = table(figures).splitlines()
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    assert len(lines) == 2 + 4 + 1  # header, separator, 4 rows, Flask alone
    assert cells[0][1:] == [*(f"{case.label} (µs)" for case in CASES), "Geomean (µs)", "Cold start (ms)"]
    assert cells[2] == ["lambda_wsgi (this layer, as shipped)", *["10.0"] * 5, "210.0"]
    assert cells[3] == ["lambda_wsgi, access line on, runtime's text log format", *["60.0"] * 5, ""]
    assert cells[4] == ["apig-wsgi 2.20.0", *["40.0"] * 5, "220.0"]
    assert cells[5] == ["Floor: Flask, minimal handler, no adapter", *["5.0"] * 5, "200.0"]
    assert cells[6] == ["Flask alone, called directly (its whole time, not overhead)", *["100.0"] * 5, ""]
    data = json.loads(json.dumps(as_json(figures)))
    assert data["warm"]["cases"]["get_json"]["overhead_us"][OURS] == pytest.approx(10.0)
    assert data["warm"]["geomean_overhead_us"]["apig-wsgi"] == pytest.approx(40.0)
    assert data["cold_start"][FLOOR]["median_ms"] == 200.0
    assert {target["metric"] for target in data["targets"]} >= {"cold start of the default package"}
    assert any("access line on" in line for line in data["information"])


# --- packages and cold starts ----------------------------------------------------------------------------


def _files(root: Path) -> dict[str, tuple[int, float]]:
    return {str(path): (path.stat().st_mode, path.stat().st_mtime) for path in root.rglob("*")}


@pytest.fixture(scope="module")
def ours_deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    work = tmp_path_factory.mktemp("ours")
    package = build_package(OURS_CONTENDER, work / "build")
    yield Deployed(package, unpack(package, work / "lambda"))
    subprocess.run(["chmod", "-R", "u+w", str(work)], check=True)


@pytest.mark.slow
def test_our_default_zips_unpack_read_only_with_bytecode_for_every_module(ours_deployed: Deployed) -> None:
    tree = ours_deployed.tree
    for path in [tree.root / "opt", tree.root / "var", *tree.root.joinpath("opt").rglob("*"), *tree.task.rglob("*")]:
        assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), path
    assert (tree.opt_python / "main.py").is_file()
    assert (tree.task / "routes.py").is_file()
    for package in ("flask", "werkzeug", "lambda_wsgi"):
        pyc = tree.opt_python / package / "__pycache__" / "__init__.cpython-313.pyc"
        assert pyc.is_file(), pyc
        flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
        assert flags == 0b01, f"{pyc}: unchecked-hash bytecode is valid whatever the files' times"
    assert (tree.opt_python / "lambda_wsgi" / "__pycache__" / "adapter.cpython-313.pyc").is_file()
    assert ours_deployed.package.layer_size().files > 100


@pytest.mark.slow
def test_a_cold_start_of_our_package_loads_its_bytecode_and_writes_nothing(ours_deployed: Deployed) -> None:
    tree = ours_deployed.tree
    before = _files(tree.root)
    report, wall_ms = run_child(OURS_CONTENDER.module, tree, COLD_START_CASE)
    assert report["status"] == 200
    assert report["flags"] == {"isolated": 1, "dont_write_bytecode": 1}
    assert report["modules_from_package"] > 50
    assert report["compiled_from_package"] == []
    assert report["outside_package"] == []
    assert report["flask_pyc"] == str(tree.opt_python / "flask" / "__pycache__" / "__init__.cpython-313.pyc")
    assert 0 < report["import_ns"] <= report["total_ns"] < wall_ms * 1e6
    assert _files(tree.root) == before


@pytest.mark.slow
def test_without_its_pycs_the_same_package_compiles_every_module_at_start(
    ours_deployed: Deployed, tmp_path: Path
) -> None:
    stripped = LambdaTree(tmp_path / "stripped")
    shutil.copytree(ours_deployed.tree.root, stripped.root)
    subprocess.run(["chmod", "-R", "u+w", str(stripped.root)], check=True)
    for cache in list(stripped.root.rglob("__pycache__")):
        shutil.rmtree(cache)
    report, _ = run_child(OURS_CONTENDER.module, stripped, COLD_START_CASE)
    assert report["status"] == 200
    assert str(stripped.opt_python / "flask" / "__init__.py") in report["compiled_from_package"]
    assert len(report["compiled_from_package"]) == report["modules_from_package"]
    assert report["flask_pyc"] is None
    assert not list(stripped.root.rglob("*.pyc"))  # -B: nothing written, though root could


@pytest.mark.slow
def test_a_peer_layer_is_pips_with_timestamp_pycs_that_stay_valid_once_unzipped(tmp_path: Path) -> None:
    peer = BY_NAME["apig-wsgi"]
    package = build_package(peer, tmp_path / "build")
    tree = unpack(package, tmp_path / "lambda")
    for module in ("apig_wsgi/__init__", "flask/__init__", "werkzeug/__init__"):
        folder, _, name = module.rpartition("/")
        pyc = tree.opt_python / folder / "__pycache__" / f"{name}.cpython-313.pyc"
        assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0, f"{pyc}: pip writes timestamp pycs"
    assert (tree.task / "__pycache__" / "apig_wsgi_main.cpython-313.pyc").is_file()
    for path in (tree.opt_python / "apig_wsgi", tree.opt_python / "apig_wsgi" / "__init__.py", tree.task):
        assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), path
    # apig_wsgi is not installed in this environment: the package alone serves it, from its bytecode.
    report, _ = run_child(peer.module, tree, COLD_START_CASE)
    assert report["status"] == 200
    assert report["compiled_from_package"] == []
    assert report["outside_package"] == []
    assert report["modules_from_package"] > 50
    subprocess.run(["chmod", "-R", "u+w", str(tmp_path)], check=True)


@pytest.mark.slow
def test_measure_cold_takes_turns_and_keeps_every_run(ours_deployed: Deployed, tmp_path: Path) -> None:
    floor_package = build_package(FLOOR_CONTENDER, tmp_path / "build")
    trees = {OURS: ours_deployed.tree, FLOOR: unpack(floor_package, tmp_path / "lambda")}
    contenders: list[Contender] = [OURS_CONTENDER, FLOOR_CONTENDER]
    results = measure_cold(contenders, trees, COLD_START_CASE, runs=2)
    for name in (OURS, FLOOR):
        cold = results[name]
        assert len(cold.first_response_ms) == 2
        for imported, first, process in zip(cold.import_ms, cold.first_response_ms, cold.process_ms, strict=True):
            assert 0 < imported <= first < process < 60_000
        assert cold.compiled_from_package == []
    subprocess.run(["chmod", "-R", "u+w", str(tmp_path)], check=True)


@pytest.mark.slow
def test_the_command_runs_quick_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    completed = subprocess.run(
        # No peer is installed here: ours and the floor, every metric.
        [sys.executable, "-m", "tools.bench", "--quick", "--adapters", OURS, "--cold-runs", "1", "--json", str(out)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "python-lambda-layer")},  # as ./build.sh bench runs it
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "| lambda_wsgi (this layer, as shipped)" in completed.stdout
    assert "| Floor: Flask, minimal handler, no adapter" in completed.stdout
    assert "x the floor" in completed.stdout
    assert "target ≤ 10 µs" in completed.stdout
    data = json.loads(out.read_text())
    assert set(data["warm"]["cases"]) == {case.name for case in CASES}
    assert set(data["cold_start"]) == {OURS, FLOOR}
    assert data["cold_start"][OURS]["compiled_from_package"] == []
    assert set(data["layer_zip"]) == {OURS, FLOOR}
    assert data["base64_100kb"]["body_bytes"] == 100 * 1024
    assert "Streaming on serve's Runtime API" in completed.stdout
    assert "over 6 MB: 500" in completed.stdout
    assert set(data["stream"]["responses"]) == {"chunks", "download"}
    assert set(data["stream"]["runtime_loops"]) >= {"awslambdaric", "layer"}
