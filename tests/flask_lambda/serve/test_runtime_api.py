"""The Runtime API serve implements, driven over HTTP the way awslambdaric drives it.

Covers what the served function cannot easily provoke: error reports, oversized results, stale ids.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator

import pytest

from flask_lambda.serve.runtime_api import Invocation, RuntimeApi

PREFIX = "/2018-06-01/runtime"


@pytest.fixture
def api() -> Iterator[RuntimeApi]:
    runtime = RuntimeApi()
    yield runtime
    runtime.close()


def _call(
    api: RuntimeApi, method: str, path: str, body: bytes | None = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    host, port = api.address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _invocation(payload: bytes = b'{"hello": "world"}') -> Invocation:
    arn = "arn:aws:lambda:us-east-1:000000000000:function:f"
    return Invocation("req-1", payload, timeout=3.0, trace_id="Root=1-abc", function_arn=arn)


def test_next_hands_over_the_event_with_lambdas_headers(api: RuntimeApi) -> None:
    invocation = _invocation()
    api.deliver(invocation)
    before = time.time()
    status, headers, body = _call(api, "GET", f"{PREFIX}/invocation/next")
    assert status == 200
    assert body == b'{"hello": "world"}'
    assert headers["Lambda-Runtime-Aws-Request-Id"] == "req-1"
    assert headers["Lambda-Runtime-Trace-Id"] == "Root=1-abc"
    assert headers["Lambda-Runtime-Invoked-Function-Arn"].endswith(":function:f")
    assert before * 1000 + 2500 <= int(headers["Lambda-Runtime-Deadline-Ms"]) <= time.time() * 1000 + 3500
    assert invocation.started.is_set()
    assert not invocation.done.is_set()
    assert api.ready_at is not None


def test_a_response_completes_the_invocation(api: RuntimeApi) -> None:
    invocation = _invocation()
    api.deliver(invocation)
    _call(api, "GET", f"{PREFIX}/invocation/next")
    status, _, _ = _call(api, "POST", f"{PREFIX}/invocation/req-1/response", b'{"statusCode": 204}')
    assert status == 202
    assert invocation.done.is_set()
    assert (invocation.result, invocation.error) == (b'{"statusCode": 204}', None)
    # A second answer for the same id is refused, as Lambda refuses it.
    status, _, _ = _call(api, "POST", f"{PREFIX}/invocation/req-1/response", b"{}")
    assert status == 400


def test_an_error_report_fails_the_invocation_with_its_type_and_message(api: RuntimeApi) -> None:
    invocation = _invocation()
    api.deliver(invocation)
    _call(api, "GET", f"{PREFIX}/invocation/next")
    report = json.dumps({"errorMessage": "division by zero", "errorType": "ZeroDivisionError", "stackTrace": []})
    status, _, _ = _call(
        api,
        "POST",
        f"{PREFIX}/invocation/req-1/error",
        report.encode(),
        **{"Lambda-Runtime-Function-Error-Type": "Unhandled"},
    )
    assert status == 202
    assert invocation.error == "ZeroDivisionError: division by zero"
    assert invocation.result is None


def test_a_response_over_six_megabytes_fails_the_invocation(api: RuntimeApi) -> None:
    invocation = _invocation()
    api.deliver(invocation)
    _call(api, "GET", f"{PREFIX}/invocation/next")
    status, _, _ = _call(api, "POST", f"{PREFIX}/invocation/req-1/response", b'"' + b"x" * (6 * 1024 * 1024) + b'"')
    assert status == 202
    assert invocation.error is not None
    assert invocation.error.startswith("Function.ResponseSizeTooLarge")


def test_an_init_error_is_kept_for_the_invocation_that_waits(api: RuntimeApi) -> None:
    report = json.dumps({"errorMessage": "Unable to import module 'main'", "errorType": "Runtime.ImportModuleError"})
    status, _, _ = _call(api, "POST", f"{PREFIX}/init/error", report.encode())
    assert status == 202
    assert api.init_error == "Runtime.ImportModuleError: Unable to import module 'main'"


def test_next_waits_until_an_event_arrives(api: RuntimeApi) -> None:
    results: list[int] = []
    poller = threading.Thread(target=lambda: results.append(_call(api, "GET", f"{PREFIX}/invocation/next")[0]))
    poller.start()
    time.sleep(0.3)
    assert results == []
    api.deliver(_invocation())
    poller.join(timeout=10)
    assert results == [200]


def test_unknown_paths_are_404(api: RuntimeApi) -> None:
    assert _call(api, "GET", f"{PREFIX}/invocation/other")[0] == 404
    assert _call(api, "POST", f"{PREFIX}/restore/next", b"")[0] == 404
