"""serve over HTTP with the echo function: the event API Gateway would send, and its answers turned into HTTP.

One serve runs for the whole module; each test looks at requests of its own.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from flask_lambda.serve.front import HEAD_TIMEOUT, REQUEST_TIMEOUT, FrontServer, Gateway
from flask_lambda.serve.host import ServedCode
from flask_lambda.serve.logs import Output
from flask_lambda.serve.pool import Outcome
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


def started_front(
    client_timeout: float,
    max_connections: int = 64,
    gateway: Gateway | None = None,
    head_timeout: float = HEAD_TIMEOUT,
    request_timeout: float = REQUEST_TIMEOUT,
) -> FrontServer:
    """A front with `gateway` behind it; without one, every request it lets through is answered 503 (no Retry-After)."""
    server = FrontServer(
        ("127.0.0.1", 0),
        lambda: gateway,
        client_timeout=client_timeout,
        max_connections=max_connections,
        head_timeout=head_timeout,
        request_timeout=request_timeout,
    )
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


@pytest.fixture
def front() -> Iterator[FrontServer]:
    server = started_front(client_timeout=0.5)
    yield server
    server.shutdown()
    server.server_close()


def host(server: FrontServer) -> bytes:
    """The Host header's value http.client sends to the front."""
    return f"127.0.0.1:{server.port}".encode()


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
        b"GET /event HTTP/1.1\r\nHost: {host}\r\n",  # headers that never end
        b"POST /event HTTP/1.1\r\nHost: {host}\r\nContent-Length: 10\r\n\r\nabc",  # a body that stops short
        b"POST /event HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",  # a chunk cut short
    ],
)
def test_a_request_that_stalls_gets_408(front: FrontServer, sent: bytes) -> None:
    answer = exchange(front, sent.replace(b"{host}", host(front)))
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
    request = b"GET / HTTP/1.1\r\nHost: " + host(front) + b"\r\n\r\n"
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
            answer = exchange(front, request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"), wait=10)
            if b"Retry-After" not in answer:
                break
            time.sleep(0.05)
        assert answer.startswith(b"HTTP/1.1 503"), answer
        assert b"Retry-After" not in answer, answer
    finally:
        front.shutdown()
        front.server_close()


# Strict HTTP/1.1 framing (RFC 9112) and serve's own address: anything else is a JSON 400 and the connection closed.

POST = b"POST / HTTP/1.1\r\nHost: {host}\r\n"
CHUNKED = POST + b"Transfer-Encoding: chunked\r\n\r\n"
BAD_REQUESTS = {
    "conflicting lengths": POST + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    "repeated length": POST + b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
    "length list": POST + b"Content-Length: 3, 3\r\n\r\nabc",
    "length and chunked": POST + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "gzip": POST + b"Transfer-Encoding: gzip\r\n\r\nabc",
    "gzip then chunked": POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    "signed length": POST + b"Content-Length: +3\r\n\r\nabc",
    "hex length": POST + b"Content-Length: 0x3\r\n\r\nabc",
    "hex-prefixed chunk size": CHUNKED + b"0x3\r\nabc\r\n0\r\n\r\n",
    "non-hex chunk size": CHUNKED + b"zz\r\nabc\r\n0\r\n\r\n",
    "space before a colon": b"GET / HTTP/1.1\r\nHost: {host}\r\nX-Thing : a\r\n\r\n",
    "no host": b"GET / HTTP/1.1\r\nUser-Agent: t\r\n\r\n",
    "no host in HTTP/1.0": b"GET / HTTP/1.0\r\n\r\n",
    "repeated host": b"GET / HTTP/1.1\r\nHost: {host}\r\nHost: {host}\r\n\r\n",
    "another name": b"GET / HTTP/1.1\r\nHost: rebound.example:{port}\r\n\r\n",
    "another port": b"GET / HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n",
    "no port": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
}


def fill(server: FrontServer, template: bytes) -> bytes:
    return template.replace(b"{host}", host(server)).replace(b"{port}", str(server.port).encode())


@pytest.mark.parametrize("sent", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_a_request_framed_loosely_or_for_another_host_gets_a_json_400_and_the_close(
    front: FrontServer, sent: bytes
) -> None:
    answer = exchange(front, fill(front, sent))  # returns only once the front has closed the connection
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n"), answer
    assert b"\r\nConnection: close" in head, answer
    assert json.loads(body) == {"message": "Bad Request"}


@pytest.mark.parametrize("name", [b"127.0.0.1:{port}", b"localhost:{port}", b"LocalHost:{port}", b"[::1]:{port}"])
def test_the_addresses_serve_listens_on_are_its_hosts(front: FrontServer, name: bytes) -> None:
    answer = exchange(front, fill(front, b"GET / HTTP/1.1\r\nHost: " + name + b"\r\nConnection: close\r\n\r\n"))
    assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), answer  # no function behind this front


def test_a_kept_alive_connection_answers_pipelined_requests_in_order(front: FrontServer) -> None:
    first = fill(front, b"POST /a HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
    second = fill(front, b"GET /b HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
    answer = exchange(front, first + second)
    assert answer.count(b"HTTP/1.1 503 Service Unavailable\r\n") == 2, answer
    assert answer.count(b"Connection: close") == 1, answer


def test_expect_100_continue_is_answered_before_the_body(front: FrontServer) -> None:
    head = b"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", front.port), timeout=5) as connection:
        connection.sendall(fill(front, head))
        assert connection.recv(65536).startswith(b"HTTP/1.1 100 Continue\r\n")
        connection.sendall(b"abc")
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), received


# Deadlines: a client that trickles its request, each byte within the 5 s between bytes, still has to finish it.


def trickle(server: FrontServer, data: bytes, every: float) -> tuple[bytes, float]:
    """Send `data` a byte at a time, one every `every` seconds, until the front answers; the answer and the time."""
    started = time.monotonic()
    received = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=every) as connection:
        for byte in data:
            try:
                connection.sendall(bytes([byte]))
                received = connection.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            break
        connection.settimeout(5)
        with contextlib.suppress(ConnectionResetError):
            while chunk := connection.recv(65536):
                received += chunk
    return received, time.monotonic() - started


@pytest.mark.parametrize(
    ("head_timeout", "request_timeout", "data"),
    [
        (30.0, 1.0, b"GET / HTTP/1.1\r\nHost: {host}\r\nX-Slow: " + b"a" * 200),
        (1.0, 30.0, b"GET / HTTP/1.1\r\nHost: {host}\r\nX-Slow: " + b"a" * 200),
        (30.0, 1.0, b"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 200\r\n\r\n" + b"a" * 200),
    ],
    ids=["head past the request deadline", "head past the head deadline", "body past the request deadline"],
)
def test_a_request_trickled_past_its_deadline_gets_408_and_the_close(
    head_timeout: float, request_timeout: float, data: bytes
) -> None:
    server = started_front(client_timeout=0.6, head_timeout=head_timeout, request_timeout=request_timeout)
    try:
        data = fill(server, data)
        if b"Content-Length" in data:  # the head at once: only the body trickles
            head, _, body = data.partition(b"\r\n\r\n")
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
                connection.sendall(head + b"\r\n\r\n")
                started = time.monotonic()
                answer = b""
                with contextlib.suppress(OSError):
                    for byte in body:
                        connection.sendall(bytes([byte]))
                        time.sleep(0.2)
                        if time.monotonic() - started > 5:
                            break
                with contextlib.suppress(ConnectionResetError):
                    while chunk := connection.recv(65536):
                        answer += chunk
                elapsed = time.monotonic() - started
        else:
            answer, elapsed = trickle(server, data, every=0.2)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer
    assert b"\r\nConnection: close" in answer
    assert answer.endswith(b'{"message": "Request Timeout"}')
    assert elapsed < 3


# A function's result that API Gateway could not turn into a response: 502, as API Gateway answers it.


class FixedResultPool:
    def __init__(self, result: bytes) -> None:
        self.result = result

    def invoke(self, payload: bytes, trace_id: str) -> Outcome:
        return Outcome(request_id="lambda-1", environment="env-1", cold=False, result=self.result, error=None)


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": 200, "headers": {"X-Split": "a\r\nSet-Cookie: evil=1"}, "body": "ok"},
        {"statusCode": 200, "headers": {"X-Split": "a\nSet-Cookie: evil=1"}, "body": "ok"},
        {"statusCode": 200, "headers": {"X-Split": "a\rSet-Cookie: evil=1"}, "body": "ok"},
        {"statusCode": 200, "headers": {"X-Nul": "a\x00evil"}, "body": "ok"},
        {"statusCode": 200, "headers": {"X-A\r\nSet-Cookie: evil=1\r\nX-B": "a"}, "body": "ok"},
        {"statusCode": 200, "cookies": ["a=1\r\nSet-Cookie: evil=1"], "body": "ok"},
        {"statusCode": 42, "body": "evil"},
        "not JSON: evil",
    ],
    ids=["crlf", "lf", "cr", "nul", "crlf in a name", "crlf in a cookie", "bad status", "not json"],
)
def test_a_malformed_function_result_is_a_502_with_the_reason_in_the_access_line(result: object) -> None:
    payload = result.encode() if isinstance(result, str) else json.dumps(result).encode()
    out = io.StringIO()
    code = cast(ServedCode, SimpleNamespace(pool=FixedResultPool(payload), close=lambda: None))
    server = started_front(client_timeout=5, gateway=Gateway(code, Output(out, io.StringIO())))
    try:
        answer = exchange(server, fill(server, b"GET /x HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"))
    finally:
        server.shutdown()
        server.server_close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 502 Bad Gateway\r\n"), answer
    assert b"evil" not in answer
    assert json.loads(body) == {"message": "Internal Server Error"}
    line = json.loads(out.getvalue().splitlines()[-1])
    assert line["status"] == 502
    assert line["error"].startswith("malformed Lambda proxy response: ")
