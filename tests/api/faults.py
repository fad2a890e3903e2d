"""A DynamoDB that misbehaves on cue: hooks on one boto3 client lose answers, time out, throttle or refuse.

`Faults(client)` listens to the client's `before-send` event, which sees every attempt the SDK makes (its own
retries included) and may answer it in the network's place. Faults are queued per operation and used in order, one
per attempt; an attempt with no fault queued goes to DynamoDB as usual (or meets the fault set with `always`).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

# What a fault does with an attempt: None lets it through, a response answers it, an exception ends it.
Fault = Callable[[AWSPreparedRequest], AWSResponse | None]


class Faults:
    """The faults of one client, and the operations of every attempt it made (`attempts`)."""

    def __init__(self, client: Any) -> None:
        self._lock = threading.Lock()
        self._queued: dict[str, deque[Fault]] = defaultdict(deque)
        self._always: dict[str | None, Fault | None] = {}
        self.attempts: list[str] = []
        client.meta.events.register("before-send.dynamodb", self._before_send)

    def _before_send(self, request: AWSPreparedRequest, event_name: str, **_: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        with self._lock:
            self.attempts.append(operation)
            queued = self._queued[operation]
            fault = queued.popleft() if queued else self._always.get(operation, self._always.get(None))
        return fault(request) if fault is not None else None

    def queue(self, operation: str, *faults: Fault) -> Faults:
        """The next attempts of `operation` (a DynamoDB API name, e.g. "TransactWriteItems") meet these faults."""
        with self._lock:
            self._queued[operation].extend(faults)
        return self

    def always(self, fault: Fault | None, operation: str | None = None) -> None:
        """Every attempt (of `operation`, or of any) with no fault queued meets this one (None: none)."""
        with self._lock:
            self._always[operation] = fault

    def count(self, operation: str) -> int:
        with self._lock:
            return self.attempts.count(operation)


def answer_lost(*, token_remembered: bool = True) -> Fault:
    """DynamoDB receives and applies the attempt, and its answer never arrives: the SDK sees a read timeout.

    With `token_remembered=False` DynamoDB is sent the request under another ClientRequestToken, as if it had
    forgotten the SDK's token by the time the retry comes (or was a DynamoDB that ignores it): the retry is then
    applied anew and fails the conditions the first attempt met.
    """

    def fault(request: AWSPreparedRequest) -> AWSResponse | None:
        body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
        if not token_remembered:
            sent = json.loads(body)
            if "ClientRequestToken" in sent:
                sent["ClientRequestToken"] = str(uuid.uuid4())
            body = json.dumps(sent).encode()
        headers = {name: _text(value) for name, value in request.headers.items() if name.lower() != "content-length"}
        forwarded = urllib.request.Request(request.url, data=body, headers=headers, method=request.method)
        try:
            with urllib.request.urlopen(forwarded, timeout=10) as response:
                response.read()
        except urllib.error.HTTPError as refused:
            refused.close()  # an error answer (a failed condition...) is lost just the same
        raise ReadTimeoutError(endpoint_url=request.url)

    return fault


def then(action: Callable[[], object]) -> Fault:
    """Run `action` (another client's change, say), then let the attempt through: a race, made to happen."""

    def fault(request: AWSPreparedRequest) -> None:
        action()

    return fault


def timed_out(request: AWSPreparedRequest) -> AWSResponse | None:
    """The attempt never reaches DynamoDB, and the SDK waits in vain for an answer."""
    raise ReadTimeoutError(endpoint_url=request.url)


def refused(request: AWSPreparedRequest) -> AWSResponse | None:
    """Nothing listens at DynamoDB's address."""
    raise EndpointConnectionError(endpoint_url=request.url)


def error(code: str, status: int = 400, message: str = "injected") -> Fault:
    """DynamoDB answers with this error without applying anything (throttling: "ThrottlingException", 400)."""
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}).encode()

    def fault(request: AWSPreparedRequest) -> AWSResponse:
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-ErrorType": code}
        return AWSResponse(request.url, status, headers, _Raw(body))

    return fault


class _Raw:
    """The part of a urllib3 response that botocore reads a short body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *_: Any, **__: Any) -> Iterator[bytes]:
        yield self._body


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
