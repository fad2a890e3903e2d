"""The layer's runtime loop under serve's Runtime API: streamed answers through the built zips, and buffered ones;
`invoke --stream` and `serve --stream`, which play a function URL in RESPONSE_STREAM mode."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambda_wsgi.aws import MAX_INVOKE_PAYLOAD
from lambda_wsgi.settings import EXEC_WRAPPER
from tests.conftest import load_event
from tests.flask_lambda.conftest import Zips, serving
from tests.flask_lambda.serve.serving import Serve
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


def test_invoke_stream_writes_the_body_as_it_comes(zips: Zips, tmp_path: Path) -> None:
    completed = invoke(zips, "--stream", event_file(tmp_path, "function_url", "/stream", "chunks=2"))
    assert completed.returncode == 0, completed.stderr
    assert stream_prelude(completed.stderr)["statusCode"] == 200
    assert [line.split()[0] for line in completed.stdout.splitlines()] == ["0", "1"]


@pytest.fixture(scope="module")
def streaming(zips: Zips) -> Iterator[Serve]:
    with serving("--layer-zip", str(zips.layer), "--function-zip", str(zips.echo), "--stream") as running:
        yield running


def test_serve_stream_sends_each_event_before_the_next_is_made(streaming: Serve) -> None:
    """What `curl -N` shows: the first line arrives while the view still sleeps before the last."""
    connection = http.client.HTTPConnection("127.0.0.1", streaming.port, timeout=30)
    try:
        connection.request("GET", "/stream?chunks=4&pause=0.4")
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Transfer-Encoding") == "chunked"
        arrivals = []
        for line in iter(response.readline, b""):
            arrivals.append((time.time(), float(line.split()[1])))
    finally:
        connection.close()
    assert len(arrivals) == 4
    first_arrived, _ = arrivals[0]
    _, last_made = arrivals[-1]
    assert first_arrived < last_made - 0.8, "the first line waited for the rest"
    assert all(arrived - made < 0.3 for arrived, made in arrivals), arrivals


def test_serve_stream_passes_20_mb(streaming: Serve) -> None:
    reply = streaming.request("GET", "/stream/big?mb=20", timeout=60)
    assert reply.status == 200
    assert len(reply.body) == 20 * 1024 * 1024 > MAX_INVOKE_PAYLOAD


def test_serve_stream_cuts_the_response_short_when_the_app_fails_midway(streaming: Serve) -> None:
    with socket.create_connection(("127.0.0.1", streaming.port), timeout=30) as client:
        client.sendall(f"GET /stream?chunks=3&fail=1 HTTP/1.1\r\nHost: 127.0.0.1:{streaming.port}\r\n\r\n".encode())
        received = b""
        while chunk := client.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"0 " in body, "the first chunk had left"
    assert not body.endswith(b"0\r\n\r\n"), "a complete chunked body would hide the failure"
    line = streaming.wait_for_line(streaming.stdout, lambda text: "the stream ended early" in text, 10)
    assert line is not None
    assert "failing mid-stream on purpose" in line


def test_serve_stream_sends_function_url_events_without_routes(streaming: Serve) -> None:
    reply = streaming.request("GET", "/event/any/path")
    assert reply.status == 200
    event = reply.json()["event"]
    assert ".lambda-url." in event["requestContext"]["domainName"]
    assert event["routeKey"] == "$default"


def test_a_client_that_goes_away_stops_the_view(streaming: Serve) -> None:
    with socket.create_connection(("127.0.0.1", streaming.port), timeout=30) as client:
        client.sendall(
            f"GET /stream?chunks=100&pause=0.05 HTTP/1.1\r\nHost: 127.0.0.1:{streaming.port}\r\n\r\n".encode()
        )
        assert b"200 OK" in client.recv(65536)
    # The view's own log line, from its generator's `finally`: close() ran when the client had gone.
    line = streaming.wait_for_line(streaming.stderr, lambda text: "of 100 lines" in text, 20)
    assert line is not None, streaming.output()
    made = int(line.split("stream closed after ")[1].split()[0])
    assert made < 100, "the view went on for a client that had gone"


def test_a_timeout_mid_stream_ends_it_as_lambda_does(zips: Zips, tmp_path: Path) -> None:
    event = event_file(tmp_path, "function_url", "/stream", "chunks=10&pause=0.4")
    completed = invoke(zips, "--stream", "--timeout", "1.5", event)
    assert completed.returncode == 1
    assert completed.stdout.split()[0] == "0", "what was made before the timeout had left"
    assert len(completed.stdout.splitlines()) < 10
    assert "Task timed out after 1.50 seconds" in completed.stderr


def test_an_init_error_under_the_runtime_loop_is_reported_as_one(zips: Zips, tmp_path: Path) -> None:
    event = event_file(tmp_path, "function_url", "/stream")
    completed = invoke(zips, "--stream", "--env", "LAMBDA_WSGI_APP=no_such_module:app", event)
    assert completed.returncode == 1
    assert "Runtime.ImportModuleError" in completed.stdout + completed.stderr
    assert "no_such_module" in completed.stdout + completed.stderr


def test_a_restored_snapstart_environment_streams_too(zips: Zips, tmp_path: Path) -> None:
    event = event_file(tmp_path, "function_url", "/stream", "chunks=2")
    completed = invoke(zips, "--stream", "--snap-start", event)
    assert completed.returncode == 0, completed.stderr
    assert stream_prelude(completed.stderr)["statusCode"] == 200
    assert [line.split()[0] for line in completed.stdout.splitlines()] == ["0", "1"]
    # The view's log line, in Lambda's text format with the request id, as awslambdaric writes it.
    assert "[WARNING]" in completed.stderr
    assert "stream closed after 2 of 2 lines" in completed.stderr


def test_a_rest_api_event_streams_with_its_own_prelude(zips: Zips, tmp_path: Path) -> None:
    event: dict[str, Any] = load_event("rest_api_v1")
    event.update(path="/stream", httpMethod="GET", queryStringParameters={"chunks": "2"})
    event["multiValueQueryStringParameters"] = {"chunks": ["2"]}
    event["requestContext"].update(path="/stream", stage="$default")
    target = tmp_path / "rest.json"
    target.write_text(json.dumps(event))
    rest_streaming = ("--env", "LAMBDA_WSGI_STREAM=rest-api", "--env", f"AWS_LAMBDA_EXEC_WRAPPER={EXEC_WRAPPER}")
    completed = invoke(zips, *rest_streaming, str(target))
    assert completed.returncode == 0, completed.stderr
    prelude = stream_prelude(completed.stderr)
    assert prelude == {"statusCode": 200, "multiValueHeaders": {"Content-Type": ["text/plain"]}, "cookies": []}
    assert [line.split()[0] for line in completed.stdout.splitlines()] == ["0", "1"]


def test_send_file_streams_a_file_past_the_buffered_limit(zips: Zips, tmp_path: Path) -> None:
    completed = invoke(zips, "--stream", event_file(tmp_path, "function_url", "/stream/file", "mb=8"))
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert stream_prelude(completed.stderr)["headers"]["Content-Type"] == "application/octet-stream"
    assert len(completed.stdout) == 8 * 1024 * 1024 > MAX_INVOKE_PAYLOAD


def test_under_the_runtime_loop_the_context_trace_id_and_json_logs_are_lambdas(zips: Zips, tmp_path: Path) -> None:
    event = event_file(tmp_path, "function_url", "/context")
    completed = invoke(zips, "--stream", "--env", "AWS_LAMBDA_LOG_FORMAT=JSON", event)
    assert completed.returncode == 0, completed.stderr
    answer = json.loads(completed.stdout)
    request_id = completed.stderr.split("request id ")[1].split(",")[0].split()[0]
    assert answer["requestId"] == request_id
    assert answer["functionArn"].startswith("arn:aws:lambda:")
    assert 0 < answer["remainingMs"] <= 10_000
    assert answer["traceId"].startswith("Root=1-")
    (line,) = [line for line in completed.stderr.splitlines() if "context asked for" in line]
    record = json.loads(line.split("] ", 1)[1])
    assert (record["level"], record["message"], record["requestId"]) == ("WARNING", "context asked for", request_id)
