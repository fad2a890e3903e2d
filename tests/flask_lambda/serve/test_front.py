"""serve over HTTP with the echo function: the event API Gateway would send, and its answers turned into HTTP.

One serve runs for the whole module; each test looks at requests of its own.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from flask_lambda.serve.front import FrontServer
from tests.conftest import RUNTIME_PYTHON
from tests.flask_lambda.conftest import Zips, serving
from tests.flask_lambda.serve.serving import Serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def serve(zips: Zips) -> Iterator[Serve]:
    args = ["--layer-zip", str(zips.layer), "--function-zip", str(zips.echo), "--concurrency", "4"]
    # The layer's own access line is off unless asked for (see test_pool for the default).
    with serving(*args, "--env", "EXTRA=extra value", "--env", "LAMBDA_WSGI_ACCESS_LOG=on") as running:
        yield running


def test_the_event_carries_the_request_as_sent(serve: Serve) -> None:
    path = "/event/caf%C3%A9/%E2%9C%93"
    query = "b=2&a=1&a=3&empty=&sp=a%20b"
    headers = [
        ("X-Dup", "one"),
        ("X-Dup", "two"),
        ("Cookie", "a=1; b=2"),
        ("Cookie", "c=3"),
        ("User-Agent", "serve-tests/1.0"),
        ("X-Forwarded-For", "203.0.113.9"),
    ]
    before = time.time()
    reply = serve.request("GET", f"{path}?{query}", headers=headers)
    assert reply.status == 200, reply.body
    seen = reply.json()
    event = seen["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == path
    assert event["rawQueryString"] == query
    assert event["queryStringParameters"] == {"a": "1,3", "b": "2", "empty": "", "sp": "a b"}
    assert event["cookies"] == ["a=1", "b=2", "c=3"]
    event_headers = event["headers"]
    assert "cookie" not in event_headers
    assert all(name == name.lower() for name in event_headers)
    assert event_headers["x-dup"] == "one,two"
    assert event_headers["user-agent"] == "serve-tests/1.0"
    assert event_headers["host"] == f"127.0.0.1:{serve.port}"
    assert event_headers["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
    assert event_headers["x-forwarded-port"] == str(serve.port)
    assert event_headers["x-forwarded-proto"] == "http"
    assert event_headers["x-amzn-trace-id"].startswith("Root=1-")
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET",
        "path": "/event/café/✓",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "serve-tests/1.0",
    }
    assert context["stage"] == "$default"
    assert context["routeKey"] == "$default"
    assert context["domainName"] == "127.0.0.1"
    assert context["requestId"] == reply.header("apigw-requestid")
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", context["time"])
    assert before * 1000 - 1000 <= context["timeEpoch"] <= time.time() * 1000 + 1000
    assert event["isBase64Encoded"] is False
    assert "body" not in event
    # What Flask routed on: the decoded unicode path.
    assert seen["path"] == "/event/café/✓"


def test_a_binary_body_travels_base64_encoded_and_arrives_intact(serve: Serve) -> None:
    body = bytes(range(256)) * 8
    reply = serve.request("POST", "/event", body, [("Content-Type", "application/octet-stream")])
    assert reply.status == 200
    seen = reply.json()
    assert seen["event"]["isBase64Encoded"] is True
    assert base64.b64decode(seen["event"]["body"]) == body
    assert base64.b64decode(seen["body"]) == body
    assert seen["event"]["headers"]["content-length"] == str(len(body))


def test_a_text_body_travels_as_text(serve: Serve) -> None:
    document = {"name": "Zoë 😀", "quote": "\"<b>'"}
    body = json.dumps(document, ensure_ascii=False).encode()
    reply = serve.request("PUT", "/event/x", body, [("Content-Type", "application/json; charset=utf-8")])
    seen = reply.json()
    assert seen["event"]["isBase64Encoded"] is False
    assert json.loads(seen["event"]["body"]) == document
    assert base64.b64decode(seen["body"]) == body


def test_a_chunked_body_is_received_whole(serve: Serve) -> None:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", serve.port, timeout=30)
    try:
        connection.request("POST", "/event", body=iter([b"first,", b"second"]), headers={"Content-Type": "text/plain"})
        reply = connection.getresponse()
        seen = json.loads(reply.read())
    finally:
        connection.close()
    assert seen["event"]["body"] == "first,second"
    assert "transfer-encoding" not in seen["event"]["headers"]
    assert seen["event"]["headers"]["content-length"] == "12"


def test_cookies_become_set_cookie_headers(serve: Serve) -> None:
    reply = serve.request("GET", "/cookies")
    assert reply.status == 200
    cookies = reply.all("Set-Cookie")
    assert len(cookies) == 2
    assert cookies[0].startswith("session=abc")
    assert "HttpOnly" in cookies[0]
    assert cookies[1].startswith("theme=dark")


def test_a_binary_response_is_decoded(serve: Serve) -> None:
    reply = serve.request("GET", "/binary")
    assert reply.status == 200
    assert reply.header("Content-Type") == "image/png"
    assert reply.body == b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    assert reply.header("Content-Length") == str(len(reply.body))


def test_an_event_over_six_megabytes_is_413(serve: Serve) -> None:
    # 5 MB is under HTTP API's 10 MB, but base64-encoded in the event it passes Lambda's 6 MB.
    reply = serve.request("POST", "/event", b"\x00" * (5 * 1024 * 1024), [("Content-Type", "image/png")])
    assert reply.status == 413
    assert reply.json() == {"message": "Request Entity Too Large"}
    line = serve.access_line(reply)
    assert line["status"] == 413
    assert "6291456" in line["error"]


def test_a_response_over_six_megabytes_is_a_clear_500(serve: Serve) -> None:
    # The layer answers for it before Lambda (or serve's Runtime API, see test_runtime_api) refuses the payload.
    reply = serve.request("GET", "/big")
    assert reply.status == 500
    assert reply.json()["message"] == "response too large for Lambda"


def test_each_request_is_logged_as_one_json_line_with_the_function_lines(serve: Serve) -> None:
    reply = serve.request("GET", "/event/logged?marker=m-4711")
    line = serve.access_line(reply)
    assert line["type"] == "request"
    assert line["method"] == "GET"
    assert line["path"] == "/event/logged"
    assert line["status"] == 200
    assert isinstance(line["durationMs"], float)
    assert line["durationMs"] > 0
    assert isinstance(line["coldStart"], bool)
    assert re.fullmatch(r"[0-9a-f-]{36}", line["lambdaRequestId"])
    printed = serve.wait_for_line(serve.stderr, lambda text: "echo marker m-4711" in text, 10)
    # Each function line names its environment and the request it belongs to.
    assert printed == f"[{line['environment']} {line['lambdaRequestId']}] echo marker m-4711"
    # The layer's own access line (LAMBDA_WSGI_ACCESS_LOG=on), as awslambdaric prints it, carries Lambda's
    # request id.
    layer_line = serve.wait_for_line(
        serve.stderr, lambda text: line["lambdaRequestId"] in text and '"type":"access"' in text, 10
    )
    assert layer_line is not None


def test_the_function_runs_from_the_zips_laid_out_as_on_lambda(serve: Serve) -> None:
    report = serve.request("GET", "/environment").json()
    variables = report["variables"]
    task_root = variables["LAMBDA_TASK_ROOT"]
    assert task_root.endswith("/var/task")
    assert report["cwd"] == task_root
    opt = str(Path(task_root).parent.parent / "opt" / "python")
    assert report["flask"].startswith(opt + "/")
    assert report["boto3"].startswith(str(RUNTIME_PYTHON.parent.parent))
    # Lambda's order: the function, then the layer's two folders (`-m` may list the task root twice).
    assert list(dict.fromkeys(report["sys_path"]))[:3] == [task_root, f"{opt}/lib/python3.13/site-packages", opt]
    assert not any(".venv/" in entry or entry.endswith(".venv") for entry in report["sys_path"])
    assert variables["AWS_LAMBDA_FUNCTION_NAME"]
    assert re.fullmatch(r"127\.0\.0\.1:\d+", variables["AWS_LAMBDA_RUNTIME_API"])
    # Not the sample users API: no table, no DynamoDB and none of the users API's settings unless asked.
    assert variables["USERS_TABLE"] is variables["AWS_ENDPOINT_URL_DYNAMODB"] is variables["PAGE_TOKEN_KEY"] is None
    assert variables["VIRTUAL_ENV"] is None
    assert variables["EXTRA"] == "extra value"


def test_fifty_concurrent_clients_all_get_their_own_answer(serve: Serve) -> None:
    def call(number: int) -> tuple[int, str]:
        reply = serve.request("GET", f"/event/concurrent?n={number}")
        return reply.status, reply.json()["event"]["rawQueryString"]

    with ThreadPoolExecutor(max_workers=50) as executor:
        results = list(executor.map(call, range(50)))
    assert results == [(200, f"n={number}") for number in range(50)]


def test_the_runtime_venv_has_no_flask() -> None:
    """Flask must come from the layer: a layer without it fails locally as on Lambda."""
    import subprocess

    completed = subprocess.run(
        [str(RUNTIME_PYTHON), "-c", "import flask"], capture_output=True, text=True, timeout=30, check=False
    )
    assert completed.returncode != 0
    assert "No module named 'flask'" in completed.stderr


# Slow and broken clients: answered by the front itself, within bounds.


def started_front(client_timeout: float, max_connections: int = 64) -> FrontServer:
    """A front with no function behind it: every request it lets through is answered 503 without Retry-After."""
    server = FrontServer(("127.0.0.1", 0), lambda: None, client_timeout=client_timeout, max_connections=max_connections)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


@pytest.fixture
def front() -> Iterator[FrontServer]:
    server = started_front(client_timeout=0.5)
    yield server
    server.shutdown()
    server.server_close()


def exchange(server: FrontServer, data: bytes, wait: float = 5.0) -> bytes:
    """Send `data`, then read until the front closes the connection."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=wait) as connection:
        connection.sendall(data)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
        return received


@pytest.mark.parametrize(
    "sent",
    [
        b"GET /event HTTP/1.1\r\nHost: x\r\n",  # headers that never end
        b"POST /event HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",  # a body that stops short
        b"POST /event HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",  # a chunk that stops short
    ],
)
def test_a_request_that_stalls_gets_408(front: FrontServer, sent: bytes) -> None:
    answer = exchange(front, sent)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer
    assert answer.endswith(b'{"message": "Request Timeout"}')


def test_an_idle_connection_is_closed_without_an_answer(front: FrontServer) -> None:
    assert exchange(front, b"") == b""


@pytest.mark.parametrize(
    "line", [b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\x16\x03\x01\r\n\r\n"]
)
def test_a_malformed_request_line_gets_a_json_400_with_a_status_line(front: FrontServer, line: bytes) -> None:
    answer = exchange(front, line)
    status_line, _, rest = answer.partition(b"\r\n")
    assert re.fullmatch(rb"HTTP/1\.1 (400|505) .+", status_line), answer
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["message"]


def test_connections_past_the_bound_are_refused_at_once() -> None:
    """Two idle connections take both threads; a third gets 503 at once, not a thread of its own."""
    front = started_front(client_timeout=30, max_connections=2)
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    try:
        held = [socket.create_connection(("127.0.0.1", front.port)) for _ in range(2)]
        for connection in held:  # each on its thread once it has answered one request
            connection.sendall(request)
            assert connection.recv(65536).startswith(b"HTTP/1.1 503")
        answer = exchange(front, request, wait=10)  # long before the held connections' 30 s run out
        assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), answer
        assert b"Retry-After: 1" in answer
        for connection in held:
            connection.close()
        # Their threads end and give their slots back: the front takes connections again.
        for _ in range(100):
            answer = exchange(front, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", wait=10)
            if b"Retry-After" not in answer:
                break
            time.sleep(0.05)
        assert answer.startswith(b"HTTP/1.1 503"), answer
        assert b"Retry-After" not in answer, answer
    finally:
        front.shutdown()
        front.server_close()
