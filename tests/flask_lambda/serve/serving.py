"""Run `serve` as a subprocess for the tests (flask_lambda/serve/background.py) and talk to it over plain HTTP.

Every wait is bounded; `stop()` signals serve and collects its exit status and output.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_lambda.serve.background import BackgroundServe
from tests.conftest import LAYER_DIR, RUNTIME_PYTHON

START_TIMEOUT = 90.0


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def json(self) -> Any:
        return json.loads(self.body)


class Serve(BackgroundServe):
    """serve on a free port with the tests' runtime and the layer's sources, and a client for it."""

    start_timeout = START_TIMEOUT

    def __init__(self, *args: str, command: list[str] | None = None) -> None:
        base = command or [sys.executable, "-m", "flask_lambda.serve", "--runtime-python", str(RUNTIME_PYTHON)]
        environment = {key: value for key, value in os.environ.items() if key != "PAGE_TOKEN_KEY"}
        environment["PYTHONPATH"] = str(LAYER_DIR)  # as ./build.sh serve runs it
        super().__init__(args, command=base, env=environment)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: list[tuple[str, str]] | None = None,
        timeout: float = 30.0,
    ) -> Reply:
        """One request on a fresh connection; headers may repeat, the path is sent as given."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for name, value in headers or []:
                connection.putheader(name, value)
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            return Reply(response.status, response.getheaders(), response.read())
        finally:
            connection.close()

    def json_request(self, method: str, path: str, document: Any = None) -> Reply:
        body = None if document is None else json.dumps(document).encode()
        headers = [("Content-Type", "application/json")] if body is not None else []
        return self.request(method, path, body, headers)

    def access_line(self, reply: Reply, timeout: float = 10.0) -> dict[str, Any]:
        """serve's JSON line for the request that got `reply` (matched on apigw-requestid)."""
        request_id = reply.header("apigw-requestid")
        assert request_id, reply.headers
        line = self.wait_for_line(self.stdout, lambda text: f'"requestId":"{request_id}"' in text, timeout)
        assert line is not None, f"no access line for {request_id}:\n{self.output()}"
        return dict(json.loads(line))

    def descendants(self) -> dict[int, str]:
        """Every process below serve, by pid, with its start time (to tell a reused pid apart)."""
        return descendants(self.process.pid)


def descendants(pid: int) -> dict[int, str]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                children.setdefault(int(stat[1]), []).append(int(entry))
    found: dict[int, str] = {}
    pending = list(children.get(pid, []))
    while pending:
        child = pending.pop()
        stat = _stat(child)
        if stat is not None:
            found[child] = stat[19]
            pending.extend(children.get(child, []))
    return found


def running(pid: int, start_time: str) -> bool:
    """Whether that very process still exists (a zombie counts: nobody reaped it)."""
    stat = _stat(pid)
    return stat is not None and stat[19] == start_time


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name: [state, ppid, ...]; starttime is [19]."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()
