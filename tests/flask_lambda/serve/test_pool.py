"""Execution environments under serve: cold then warm, the timeout enforced, crashes and init failures replaced.

One environment at most (`--concurrency 1`), so which environment serves a request is known.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flask_lambda import package
from tests.flask_lambda.conftest import Zips, serving
from tests.flask_lambda.serve.serving import Serve, descendants, running

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def serve(zips: Zips) -> Iterator[Serve]:
    args = ["--layer-zip", str(zips.layer), "--function-zip", str(zips.echo), "--concurrency", "1", "--timeout", "1"]
    with serving(*args) as running_serve:
        yield running_serve


def _pid(serve: Serve) -> tuple[int, dict[str, object]]:
    reply = serve.request("GET", "/event/pid")
    assert reply.status == 200, reply.body
    return int(reply.json()["pid"]), serve.access_line(reply)


def _gone(pid: int, start_time: str) -> bool:
    deadline = time.monotonic() + 5
    while running(pid, start_time) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not running(pid, start_time)


def test_first_request_is_cold_then_the_environment_is_reused_warm(serve: Serve) -> None:
    first_pid, first = _pid(serve)
    second_pid, second = _pid(serve)
    assert second_pid == first_pid
    assert second["coldStart"] is False
    assert second["environment"] == first["environment"]
    assert "initDurationMs" not in second
    # The module's serve is fresh, so its first request starts the environment.
    assert first["coldStart"] is True
    assert isinstance(first["initDurationMs"], float)


def test_the_layer_prints_no_access_line_of_its_own_unless_asked(serve: Serve) -> None:
    """LAMBDA_WSGI_ACCESS_LOG is off by default: serve's own JSON line stays, the layer's does not come."""
    first = serve.request("GET", "/event/quiet?marker=m-quiet-1")
    request_id = serve.access_line(first)["lambdaRequestId"]
    # One environment, one output stream: the layer's line for the first request would precede this marker.
    serve.request("GET", "/event/quiet?marker=m-quiet-2")
    assert serve.wait_for_line(serve.stderr, lambda text: "echo marker m-quiet-2" in text, 10)
    layer_line = serve.wait_for_line(serve.stderr, lambda text: request_id in text and '"type":"access"' in text, 1)
    assert layer_line is None


def test_the_timeout_is_enforced_and_the_environment_replaced(serve: Serve) -> None:
    pid, _ = _pid(serve)
    start_time = descendants(serve.process.pid)[pid]
    started = time.monotonic()
    reply = serve.request("GET", "/sleep?seconds=20")
    elapsed = time.monotonic() - started
    assert reply.status == 500
    assert reply.json() == {"message": "Internal Server Error"}
    assert elapsed < 5
    assert serve.access_line(reply)["error"] == "Task timed out after 1.00 seconds"
    assert _gone(pid, start_time)
    new_pid, line = _pid(serve)
    assert new_pid != pid
    assert line["coldStart"] is True


def test_a_crashed_environment_is_replaced(serve: Serve) -> None:
    pid, _ = _pid(serve)
    start_time = descendants(serve.process.pid)[pid]
    reply = serve.request("GET", "/crash")
    assert reply.status == 500
    assert reply.json() == {"message": "Internal Server Error"}
    assert serve.access_line(reply)["error"] == "Runtime exited with error: exit status 3"
    assert _gone(pid, start_time)
    new_pid, line = _pid(serve)
    assert new_pid != pid
    assert line["coldStart"] is True


def test_a_function_that_cannot_import_fails_with_a_500_and_says_why(zips: Zips, tmp_path: Path) -> None:
    """A dependency missing from the layer shows up locally, as an init error, not only on AWS."""
    function_dir = tmp_path / "function"
    function_dir.mkdir()
    (function_dir / "routes.py").write_text("import yaml  # not in the layer\n\nroutes = None\n")
    function_zip = package.build_function(tmp_path / "function.zip", function_dir).path
    with serving("--layer-zip", str(zips.layer), "--function-zip", str(function_zip), "--concurrency", "1") as serve:
        for _ in range(2):  # a failed init leaves nothing behind: the next request starts again
            reply = serve.request("GET", "/anything")
            assert reply.status == 500
            assert reply.json() == {"message": "Internal Server Error"}
            error = serve.access_line(reply)["error"]
            assert error.startswith("init failed: Runtime.ImportModuleError")
            assert "yaml" in error
