"""The handler run as Lambda runs it: awslambdaric loads `main.handler` with the layer on the path.

A real Runtime API (the one `serve` implements) hands events to a separate interpreter.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flask_lambda.serve.logs import Output
from flask_lambda.serve.pool import FunctionConfig, Pool
from tests.conftest import LAYER_DIR, http_event, load_event
from tests.layer import sample_routes

ARN = "arn:aws:lambda:us-east-1:123456789012:function:layer-test"


def start_pool(tmp_path: Path, log_format: str) -> tuple[Pool, io.StringIO]:
    task_root = tmp_path / "task"
    task_root.mkdir()
    shutil.copy(sample_routes.__file__, task_root / "routes.py")
    # The dev interpreter has awslambdaric and Flask; the layer comes from the source tree.
    environment = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": os.pathsep.join([str(task_root), str(LAYER_DIR)]),
        "PYTHONDONTWRITEBYTECODE": "1",
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_LAMBDA_FUNCTION_NAME": "layer-test",
        "AWS_LAMBDA_LOG_FORMAT": log_format,
        "LAMBDA_WSGI_ACCESS_LOG": "on",
        "FLASK_SECRET_KEY": "k" * 32,
    }
    config = FunctionConfig(
        runtime_python=Path(sys.executable), task_root=task_root, environment=environment, function_arn=ARN, timeout=20
    )
    captured = io.StringIO()
    return Pool(config, concurrency=1, output=Output(captured, captured)), captured


@pytest.fixture(params=["Text", "JSON"])
def pool(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Pool, io.StringIO]]:
    running, captured = start_pool(tmp_path, request.param)
    yield running, captured
    running.close()


def invoke(pool: Pool, event: object) -> tuple[dict[str, object] | None, str | None, bool]:
    outcome = pool.invoke(json.dumps(event).encode(), trace_id="Root=1-00000000-000000000000000000000000")
    result = json.loads(outcome.result) if outcome.result is not None else None
    return result, outcome.error, outcome.cold


def logs_holding(captured: io.StringIO, text: str, timeout: float = 10.0) -> str:
    """What the environment has logged once `text` is in it: its lines arrive on their own pipe, after the result."""
    deadline = time.monotonic() + timeout
    while text not in captured.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    return captured.getvalue()


def test_handler_string_main_handler_serves_http_events(pool: tuple[Pool, io.StringIO]) -> None:
    running, captured = pool
    result, error, cold = invoke(running, http_event(raw_path="/users/ada", stage="prod"))
    assert error is None
    assert cold is True
    assert result is not None
    assert result["statusCode"] == 200
    assert json.loads(str(result["body"]))["link"] == "/prod/users/ada"

    result, error, cold = invoke(running, http_event(raw_path="/cookies"))
    assert cold is False
    assert result is not None
    assert len(result["cookies"]) == 2  # type: ignore[arg-type]

    # The access lines reach Lambda's log stream in the configured format.
    logs = logs_holding(captured, '"start":')
    assert '"type":"access"' in logs or '"type": "access"' in logs
    assert '"start":"cold"' in logs.replace(" ", "")


def test_a_view_error_is_a_500_not_a_function_error(pool: tuple[Pool, io.StringIO]) -> None:
    running, captured = pool
    result, error, _ = invoke(running, http_event(raw_path="/fails"))
    assert error is None
    assert result is not None
    assert result["statusCode"] == 500
    assert "the view broke" in logs_holding(captured, "the view broke")


def test_a_non_http_event_is_a_function_error_that_names_it(pool: tuple[Pool, io.StringIO]) -> None:
    running, _ = pool
    result, error, _ = invoke(running, load_event("sqs"))
    assert result is None
    assert error is not None
    assert "UnsupportedEventError" in error
    assert "aws:sqs" in error


def test_a_missing_routes_module_is_one_clear_init_error(tmp_path: Path) -> None:
    running, captured = start_pool(tmp_path, "Text")
    try:
        (tmp_path / "task" / "routes.py").unlink()
        result, error, _ = invoke(running, http_event(raw_path="/"))
    finally:
        running.close()
    assert result is None
    assert error is not None
    assert "Runtime.ImportModuleError" in error
    assert "Unable to import module 'main': no module named 'routes'" in error
    assert "During handling" not in captured.getvalue()


def test_a_command_event_runs_the_app_s_cli_and_fail_on_error_is_a_function_error(
    pool: tuple[Pool, io.StringIO],
) -> None:
    running, _ = pool
    result, error, _ = invoke(running, {"flask-lambda": {"command": ["sample", "greet", "ada"]}})
    assert error is None
    assert result is not None
    assert (result["exitCode"], result["outputTruncated"]) == (0, False)
    # The log line once, in the function's log format: without a telemetry fd the runtime writes it to stdout.
    assert str(result["output"]).startswith("hello ada from routes\nto stderr\n")
    assert str(result["output"]).count("a warning") == 1

    result, error, _ = invoke(running, {"flask-lambda": {"command": ["sample", "exits", "4"], "failOnError": True}})
    assert result is None
    assert error is not None
    assert "CommandFailedError" in error
    assert "flask sample exits 4 exited with status 4" in error


def test_a_keep_warm_ping_is_answered(pool: tuple[Pool, io.StringIO]) -> None:
    running, _ = pool
    result, error, _ = invoke(running, load_event("warmup_plugin"))
    assert (result, error) == ({"warm": True}, None)
