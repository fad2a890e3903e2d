"""The snapshot process of `serve --snap-start`: awslambdaric, initialised for SnapStart, becomes the snapshot.

serve runs this file's text with the Lambda runtime's Python (`python -c`), so it uses only the standard library
and awslambdaric (through the layer's runtime loop when the function names its wrapper, as on Lambda). awslambdaric
runs init and the before-snapshot hooks, then asks the Runtime API for `/restore/next`; Lambda takes the snapshot
during that call. Here the process stops there and, for every restore serve orders, forks: the child is a restored
environment with the parent's memory, which asks its own Runtime API for `/restore/next`, runs the after-restore
hooks and serves.

Orders come one per line on the descriptor named first in LAMBDA_SERVE_SNAPSHOT_FDS ("<runtime api> <fifo>"); the
reply, on the second, is "ready" once, then each child's pid.
"""

import http.client
import json
import os
import random
import signal
import sys
from typing import Any

from awslambdaric import __main__ as awslambdaric_main
from awslambdaric import lambda_runtime_client

ORDERS_FD, REPLIES_FD = (int(fd) for fd in os.environ.pop("LAMBDA_SERVE_SNAPSHOT_FDS").split(","))
_restore_next = lambda_runtime_client.BaseLambdaRuntimeClient.restore_next


class HttpRuntimeClient:
    """What awslambdaric's native client does, over http.client, for a restored environment's own Runtime API.

    The native client reads the Runtime API's address once per process, so a fork cannot point it elsewhere.
    """

    def __init__(self, address: str) -> None:
        self.address = address

    def _call(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[bytes, http.client.HTTPResponse]:
        connection = http.client.HTTPConnection(self.address)
        connection.request(method, "/2018-06-01/runtime" + path, body, headers or {})
        response = connection.getresponse()
        return response.read(), response

    def next(self) -> tuple[bytes, dict[str, Any]]:
        body, response = self._call("GET", "/invocation/next")
        if response.status != 200:
            raise RuntimeError(f"/invocation/next answered {response.status}: {body[:200]!r}")
        headers: dict[str, Any] = {name: response.getheader(name) for name in _NEXT_HEADERS}
        headers["Lambda-Runtime-Deadline-Ms"] = int(headers["Lambda-Runtime-Deadline-Ms"] or 0)
        return body, headers

    def post_invocation_result(
        self, invoke_id: str, result: bytes, content_type: str, invocation_id: str | None = None
    ) -> None:
        self._call("POST", f"/invocation/{invoke_id}/response", result, {"Content-Type": content_type})

    def post_error(
        self, invoke_id: str, error_response_data: str, xray_fault: str, invocation_id: str | None = None
    ) -> None:
        error_type = json.loads(error_response_data).get("errorType") or "Unhandled"
        headers = {"Content-Type": "application/json", "Lambda-Runtime-Function-Error-Type": error_type}
        self._call("POST", f"/invocation/{invoke_id}/error", error_response_data.encode(), headers)


_NEXT_HEADERS = (
    "Lambda-Runtime-Aws-Request-Id",
    "Lambda-Runtime-Trace-Id",
    "Lambda-Runtime-Invoked-Function-Arn",
    "Lambda-Runtime-Deadline-Ms",
    "Lambda-Runtime-Client-Context",
    "Content-Type",
    "Lambda-Runtime-Cognito-Identity",
    "Lambda-Runtime-Aws-Tenant-Id",
    "Lambda-Runtime-Invocation-Id",
)


def become_the_snapshot(client: Any) -> None:
    orders = os.fdopen(ORDERS_FD, "r")
    replies = os.fdopen(REPLIES_FD, "w")
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps restored environments
    replies.write("ready\n")
    replies.flush()
    memory = random.getstate()
    for order in orders:
        address, fifo = order.split()
        pid = os.fork()
        if pid == 0:
            orders.close()
            replies.close()
            restored(client, address, fifo, memory)
            return
        replies.write(f"{pid}\n")
        replies.flush()
    os._exit(0)  # serve closed the orders: it is stopping


def restored(client: Any, address: str, fifo: str, memory: Any) -> None:
    os.setsid()  # a process group of its own, as any environment serve starts
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    output = os.open(fifo, os.O_WRONLY)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    # A restore brings memory back as it was; fork alone would reseed `random`, hiding what a snapshot shares.
    random.setstate(memory)
    os.environ["AWS_LAMBDA_RUNTIME_API"] = address
    client.lambda_runtime_address = address
    lambda_runtime_client.runtime_client = HttpRuntimeClient(address)
    _restore_next(client)


def restore_next(self: Any) -> None:
    become_the_snapshot(self)


lambda_runtime_client.BaseLambdaRuntimeClient.restore_next = restore_next
sys.argv[0] = "awslambdaric"
if os.environ.get("AWS_LAMBDA_EXEC_WRAPPER"):
    # What the wrapper starts on Lambda: the layer's runtime loop, whose client is awslambdaric's, extended.
    from lambda_wsgi import runtime

    runtime.main(sys.argv)
else:
    awslambdaric_main.main(sys.argv)
