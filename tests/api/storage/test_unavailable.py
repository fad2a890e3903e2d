"""DynamoDB out of reach or throttling: every operation answers 503 JSON with Retry-After, never a 500.

The storage module is pointed at a second, real client: one at a closed port, one at a moto server that stops.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import pytest
from awslambdaric.lambda_context import LambdaContext
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from flask_lambda.moto_server import MotoServer
from tests.api.conftest import JSON, TABLE_NAME, Api, Reply, point_storage_at
from tests.api.faults import Fault, Faults, error, refused, timed_out
from tests.conftest import http_event


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def every_operation(api: Api, user_id: str) -> list[Reply]:
    """One request per operation, all at once (each spends a while in the SDK's retries)."""
    calls = [
        lambda: api.get("/users"),
        lambda: api.get("/users", "limit=5"),
        lambda: api.post("/users", {"name": "Ada", "email": "ada@example.com"}),
        lambda: api.get(f"/users/{user_id}"),
        lambda: api.patch(f"/users/{user_id}", {"name": "New"}),
        lambda: api.patch(f"/users/{user_id}", {"email": "new@example.com"}),
        lambda: api.delete(f"/users/{user_id}"),
    ]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls, timeout=60))


def assert_unavailable(replies: list[Reply]) -> None:
    for reply in replies:
        assert reply.status == 503, reply.body
        assert reply.headers["content-type"] == "application/json"
        assert reply.headers["retry-after"] == "1"
        assert reply.json() == {
            "message": "the service is busy or unavailable; retry shortly",
            "requestId": reply.request_id,
        }


def assert_logged_once_each(caplog: pytest.LogCaptureFixture, replies: list[Reply], cause: str) -> None:
    """Each 503 has one log line, found by its request id, that names the cause; no traceback anywhere."""
    lines = [record.getMessage() for record in caplog.records if record.name == "routes"]
    for reply in replies:
        mine = [line for line in lines if reply.request_id in line]
        assert len(mine) == 1, mine
        assert mine[0].startswith("answering 503 to ")
        assert cause in mine[0]
        assert "\n" not in mine[0]
    assert "Traceback" not in caplog.text


def test_a_closed_port_is_503_with_retry_after(
    api: Api, api_modules: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    user = api.create("Ada", "ada@example.com")
    point_storage_at(monkeypatch, api.handler, f"http://127.0.0.1:{closed_port()}")
    replies = every_operation(api, user["id"])
    assert_unavailable(replies)
    assert_logged_once_each(caplog, replies, "Could not connect to the endpoint URL")


def test_a_missing_table_is_503_naming_the_table(api: Api, dynamodb: Any, caplog: pytest.LogCaptureFixture) -> None:
    """DynamoDB answers, but the table is not there (not created yet, deleted, another region): not a 500."""
    user = api.create("Ada", "ada@example.com")
    dynamodb.delete_table(TableName=TABLE_NAME)
    replies = every_operation(api, user["id"])
    assert_unavailable(replies)
    assert_logged_once_each(caplog, replies, f"the DynamoDB table '{TABLE_NAME}' does not exist")


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        (error("ThrottlingException", message="Rate of requests exceeds the allowed throughput."), "Throttling"),
        (error("ProvisionedThroughputExceededException"), "ProvisionedThroughputExceeded"),
        (error("InternalServerError", 500), "InternalServerError"),
        (timed_out, "Read timeout on endpoint URL"),
        (refused, "Could not connect to the endpoint URL"),
    ],
    ids=["throttled", "over capacity", "server error", "timeout", "refused"],
)
def test_every_failure_of_dynamodb_is_503(
    api: Api, faults: Faults, caplog: pytest.LogCaptureFixture, fault: Fault, cause: str
) -> None:
    user = api.create("Ada", "ada@example.com")
    before = api.get("/users").json()
    faults.always(fault)
    replies = every_operation(api, user["id"])
    assert_unavailable(replies)
    assert_logged_once_each(caplog, replies, cause)
    faults.always(None)
    assert api.get("/users").json() == before  # nothing changed


def test_a_database_that_goes_away_is_503(
    api: Api, api_modules: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second server in this process serves the same moto state; stopping it cuts this client off.
    with MotoServer() as server:
        point_storage_at(monkeypatch, api.handler, server.endpoint)
        user = api.create("Ada", "ada@example.com")
        assert api.get(f"/users/{user['id']}").json() == user
    assert_unavailable(every_operation(api, user["id"]))
    monkeypatch.undo()
    assert api.get(f"/users/{user['id']}").json() == user
    assert api.get("/users").json()["items"] == [user]


def test_the_shared_table_is_untouched_by_the_outage(api: Api) -> None:
    # The patched storage is restored after each test: the usual table answers again.
    assert api.get("/users").json() == {"items": [], "nextToken": None}


@pytest.mark.parametrize(
    "code",
    [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    ],
)
def test_throttling_and_server_errors_count_as_unavailable(api_modules: dict[str, ModuleType], code: str) -> None:
    error = ClientError({"Error": {"Code": code, "Message": "slow down"}}, "GetItem")
    assert api_modules["storage"].is_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        ConnectTimeoutError(endpoint_url="http://127.0.0.1:1"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
        ConnectionClosedError(endpoint_url="http://127.0.0.1:1"),
    ],
)
def test_connection_failures_count_as_unavailable(api_modules: dict[str, ModuleType], error: Exception) -> None:
    assert api_modules["storage"].is_unavailable(error)


@pytest.mark.parametrize(
    "code",
    ["ConditionalCheckFailedException", "ValidationException", "ResourceNotFoundException", "AccessDeniedException"],
)
def test_errors_that_retrying_cannot_fix_do_not(api_modules: dict[str, ModuleType], code: str) -> None:
    error = ClientError({"Error": {"Code": code, "Message": "no"}}, "GetItem")
    assert not api_modules["storage"].is_unavailable(error)


@pytest.mark.parametrize(
    ("code", "lost"),
    [
        ("ConditionalCheckFailedException", True),
        # A plain PutItem on an item a concurrent transaction is writing: retried, never a 500.
        ("TransactionConflictException", True),
        ("ValidationException", False),
        ("ThrottlingException", False),
    ],
)
def test_writes_that_met_a_concurrent_change_are_retried(
    api_modules: dict[str, ModuleType], code: str, lost: bool
) -> None:
    error = ClientError({"Error": {"Code": code, "Message": "busy item"}}, "PutItem")
    assert api_modules["storage"].lost_race(error) is lost


@contextmanager
def hanging_server() -> Iterator[str]:
    """An endpoint that accepts connections and never answers, like a DynamoDB that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        listener.close()


def against_a_hanging_database(
    api: Api,
    modules: dict[str, ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    event: dict[str, Any],
    seconds_left: float,
) -> tuple[dict[str, Any], float]:
    """Invoke with `seconds_left` before the invocation's deadline; the result and how long it took."""
    deadline_ms = int((time.time() + seconds_left) * 1000)
    context = LambdaContext("hang-check", None, None, deadline_ms, "arn:aws:lambda:us-east-1:123456789012:function:f")
    with hanging_server() as endpoint:
        point_storage_at(monkeypatch, api.handler, endpoint)
        started = time.monotonic()
        result: dict[str, Any] = api.handler(event, context)
        return result, time.monotonic() - started


def test_a_hanging_database_is_503_before_the_invocation_times_out(
    api: Api, api_modules: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    event = http_event("GET", "/users/some-id")
    result, elapsed = against_a_hanging_database(api, api_modules, monkeypatch, event, seconds_left=9)
    assert result["statusCode"] == 503
    assert json.loads(result["body"]) == {
        "message": "the service is busy or unavailable; retry shortly",
        "requestId": "hang-check",
    }
    assert 3 < elapsed < 8.5  # it did wait for DynamoDB, and answered before the 9 s deadline


def test_no_call_starts_that_could_outlast_the_invocation(
    api: Api, api_modules: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    event = http_event("POST", "/users", body='{"name": "Ada", "email": "ada@example.com"}', content_type=JSON)
    result, elapsed = against_a_hanging_database(api, api_modules, monkeypatch, event, seconds_left=3)
    assert result["statusCode"] == 503
    assert elapsed < 1
