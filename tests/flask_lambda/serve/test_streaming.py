"""The layer's runtime loop under serve's Runtime API: streamed answers through the built zips, and buffered ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lambda_wsgi.aws import MAX_INVOKE_PAYLOAD
from lambda_wsgi.settings import EXEC_WRAPPER
from tests.conftest import load_event
from tests.flask_lambda.conftest import Zips
from tests.flask_lambda.serve.test_invoke import invoke

pytestmark = pytest.mark.slow

STREAMING = ("--env", "LAMBDA_WSGI_STREAM=function-url", "--env", f"AWS_LAMBDA_EXEC_WRAPPER={EXEC_WRAPPER}")


def event_file(tmp_path: Path, fixture: str, path: str, query: str = "") -> str:
    event: dict[str, Any] = load_event(fixture)
    event["rawPath"], event["rawQueryString"] = path, query
    event["requestContext"]["http"].update(method="GET", path=path)
    target = tmp_path / f"{fixture}.json"
    target.write_text(json.dumps(event))
    return str(target)


def stream_prelude(stderr: str) -> dict[str, Any]:
    (line,) = [line for line in stderr.splitlines() if "streamed response: " in line]
    prelude: dict[str, Any] = json.loads(line.split("streamed response: ", 1)[1])
    return prelude


def test_a_function_url_event_is_answered_chunk_by_chunk(zips: Zips, tmp_path: Path) -> None:
    completed = invoke(zips, *STREAMING, event_file(tmp_path, "function_url", "/stream", "chunks=3&pause=0.3"))
    assert completed.returncode == 0, completed.stderr
    assert stream_prelude(completed.stderr) == {
        "statusCode": 200,
        "headers": {"Content-Type": "text/plain"},
        "cookies": [],
    }
    lines = completed.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["0", "1", "2"]
    made = [float(line.split()[1]) for line in lines]
    assert made[2] - made[0] >= 0.5, "the chunks were made apart, as the view slept between them"


def test_the_same_function_answers_http_api_events_with_a_buffered_result(zips: Zips, tmp_path: Path) -> None:
    completed = invoke(zips, *STREAMING, event_file(tmp_path, "http_api_v2", "/stream", "chunks=2"))
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["statusCode"] == 200
    assert [line.split()[0] for line in result["body"].splitlines()] == ["0", "1"]


def test_a_streamed_body_passes_the_buffered_payload_limit(zips: Zips, tmp_path: Path) -> None:
    completed = invoke(zips, *STREAMING, event_file(tmp_path, "function_url", "/stream/big", "mb=20"))
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert len(completed.stdout) == 20 * 1024 * 1024 > MAX_INVOKE_PAYLOAD
    assert set(completed.stdout) == {"y"}


def test_an_error_after_the_first_byte_ends_the_stream_with_the_error_trailers(zips: Zips, tmp_path: Path) -> None:
    completed = invoke(zips, *STREAMING, event_file(tmp_path, "function_url", "/stream", "chunks=3&fail=1"))
    assert completed.returncode == 1
    assert completed.stdout.split()[0] == "0", "the first chunk had left"
    assert "the stream ended with an error: RuntimeError: failing mid-stream on purpose" in completed.stderr
    assert "ended early: the app raised" in completed.stderr


def test_without_the_runtime_loop_the_setting_falls_back_to_buffered(zips: Zips, tmp_path: Path) -> None:
    completed = invoke(
        zips, "--env", "LAMBDA_WSGI_STREAM=function-url", event_file(tmp_path, "function_url", "/stream", "chunks=2")
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["statusCode"] == 200
    assert "AWS_LAMBDA_EXEC_WRAPPER" in completed.stderr
