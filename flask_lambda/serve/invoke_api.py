"""Lambda's Invoke API on serve's port: `POST /2015-03-31/functions/NAME/invocations` runs any event in the pool.

So `aws lambda invoke --endpoint-url`, boto3 and `flask-lambda command --endpoint-url` reach the local function.
These are Lambda API calls, not HTTP API requests: no route or authorizer applies, a SigV4 signature is not checked.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any
from urllib.parse import parse_qs, unquote

from lambda_wsgi.aws import MAX_INVOKE_PAYLOAD

from . import events
from .access import AccessLine
from .events import IncomingRequest, OutgoingResponse
from .layout import function_arn
from .logs import Output
from .pool import Outcome, Pool, PoolClosedError, ThrottledError

_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
# serve runs one version of the code, whatever the caller's qualifier names.
EXECUTED_VERSION = "$LATEST"
# An error Lambda reports for the invocation, not one the function raised, by the start of serve's description.
_PLATFORM_ERRORS = (("Task timed out", "Sandbox.Timedout"), ("Runtime exited", "Runtime.ExitError"))
_ERROR_TYPE = re.compile(r"[A-Za-z_][\w.]*")


class InvokeApi:
    """Answers Invoke calls for the function serve plays (`name` in `region`); other names are not found."""

    def __init__(self, name: str, region: str, output: Output) -> None:
        self.name = name
        self.region = region
        self.output = output

    @staticmethod
    def takes(request: IncomingRequest) -> bool:
        """Whether `request` is an Invoke call rather than a request for the HTTP API."""
        return request.method == "POST" and _PATH.match(events.split_target(request.target)[0]) is not None

    def handle(self, request: IncomingRequest, line: AccessLine, pool: Pool) -> OutgoingResponse:
        path, query = events.split_target(request.target)
        match = _PATH.match(path)
        assert match is not None  # takes() said so
        name, qualifier = split_function_name(unquote(match["name"]))
        qualifier = parse_qs(query).get("Qualifier", [qualifier or ""])[0]
        if name != self.name:
            line.error = f"Invoke: no function {name!r} (serve plays {self.name!r})"
            arn = function_arn(self.region, name) + (f":{qualifier}" if qualifier else "")
            return lambda_error(404, "ResourceNotFoundException", f"Function not found: {arn}")
        headers = {key.lower(): value for key, value in request.headers}
        kind = headers.get("x-amz-invocation-type", "RequestResponse")
        if kind not in {"RequestResponse", "Event", "DryRun"}:
            line.error = f"Invoke: unknown invocation type {kind!r}"
            return lambda_error(400, "InvalidParameterValueException", f"Unsupported InvocationType: {kind}")
        payload = request.body or b"{}"  # an Invoke call without a payload hands the function {}
        try:
            json.loads(payload)
        except ValueError:
            line.error = "Invoke: the payload is not JSON"
            return lambda_error(400, "InvalidRequestContentException", "Could not parse request body into json")
        if len(payload) > MAX_INVOKE_PAYLOAD:
            line.error = f"Invoke: the payload is {len(payload)} bytes, over Lambda's limit of {MAX_INVOKE_PAYLOAD}"
            return lambda_error(
                413,
                "RequestTooLargeException",
                f"Request must be smaller than {MAX_INVOKE_PAYLOAD} bytes for the InvokeFunction operation",
            )
        if kind == "DryRun":
            return OutgoingResponse(204, [("X-Amz-Executed-Version", EXECUTED_VERSION)])
        trace_id = events.new_trace_id(time.time())
        if kind == "Event":
            threading.Thread(target=self._run_queued, args=(pool, payload, trace_id), daemon=True).start()
            return OutgoingResponse(202, [("X-Amz-Executed-Version", EXECUTED_VERSION)])
        try:
            outcome = pool.invoke(payload, trace_id)
        except ThrottledError:
            line.error = "every environment stayed busy; raise --concurrency"
            return lambda_error(429, "TooManyRequestsException", "Rate Exceeded.")
        except PoolClosedError:
            line.error = "serve is stopping"
            return lambda_error(503, "ServiceException", "serve is stopping")
        except OSError as error:
            line.error = f"could not start an environment: {error}"
            return lambda_error(500, "ServiceException", f"could not start an environment: {error}")
        line.outcome = outcome
        return invoke_response(outcome, line)

    def _run_queued(self, pool: Pool, payload: bytes, trace_id: str) -> None:
        """An Event invocation: run once in the background (Lambda would also retry a failure twice; serve does not)."""
        try:
            outcome = pool.invoke(payload, trace_id)
        except (ThrottledError, PoolClosedError, OSError) as error:
            self.output.warn(f"an Event invocation did not run: {type(error).__name__} {error}".rstrip())
            return
        if outcome.error is not None:
            self.output.warn(f"the Event invocation {outcome.request_id} failed: {outcome.error}")


def invoke_response(outcome: Outcome, line: AccessLine) -> OutgoingResponse:
    """What Lambda answers a RequestResponse call: the result as it came, or the error with X-Amz-Function-Error."""
    headers = [
        ("Content-Type", "application/json"),
        ("X-Amz-Executed-Version", EXECUTED_VERSION),
        ("x-amzn-RequestId", outcome.request_id),
    ]
    if outcome.error is None and outcome.result is not None:
        return OutgoingResponse(200, headers, outcome.result)
    line.error = outcome.error or "no result"
    body = json.dumps(error_payload(outcome.error)).encode()
    return OutgoingResponse(200, [*headers, ("X-Amz-Function-Error", "Unhandled")], body)


def error_payload(error: str | None) -> dict[str, Any]:
    """Lambda's error payload from serve's `errorType: errorMessage` (the function's stack trace is not kept)."""
    if not error:
        return {"errorType": "Runtime.Unknown", "errorMessage": "the invocation ended without a result"}
    for start, kind in _PLATFORM_ERRORS:
        if error.startswith(start):
            return {"errorType": kind, "errorMessage": error}
    head, separator, message = error.partition(": ")
    if separator and _ERROR_TYPE.fullmatch(head):
        return {"errorType": head, "errorMessage": message}
    return {"errorType": "Runtime.Unknown", "errorMessage": error}


def lambda_error(status: int, error_type: str, message: str) -> OutgoingResponse:
    """An error of the Lambda API itself, as the AWS SDKs read it: the type in a header, the message in JSON."""
    body = json.dumps({"Type": "User", "message": message}).encode()
    return OutgoingResponse(status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type)], body)


def split_function_name(given: str) -> tuple[str, str | None]:
    """The function's name and qualifier from a name, `name:qualifier`, `ACCOUNT:function:name` or an ARN."""
    parts = given.split(":")
    if len(parts) >= 7 and parts[0] == "arn":
        return parts[6], parts[7] if len(parts) > 7 else None
    if len(parts) >= 3 and parts[1] == "function":
        return parts[2], parts[3] if len(parts) > 3 else None
    return parts[0], parts[1] if len(parts) > 1 else None
