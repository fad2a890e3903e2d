"""A small HTTP client for the users API: one kept-alive connection per thread, every exchange timed.

Standard library only, so `./build.sh load --help` runs on any Python 3.13.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Answer:
    """What came back: `status` None when no answer came at all (a refused connection, a reset, a timeout)."""

    status: int | None
    body: Any  # the parsed JSON, or None (no body, not JSON, no answer)
    started: float  # time.monotonic() when the request was sent
    ended: float  # ... and when its answer (or the failure) came
    error: str | None = None

    @property
    def seconds(self) -> float:
        return self.ended - self.started


class Api:
    """The API at `url` (`http://host:port` or `https://host/base`): a connection per calling thread."""

    def __init__(self, url: str, timeout: float = TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._base = parts.path.rstrip("/")
        self._timeout = timeout
        self._local = threading.local()

    def user_path(self, user_id: str) -> str:
        return f"/users/{quote(user_id, safe='')}"

    def list_path(self, limit: int, token: str | None) -> str:
        query = {"limit": str(limit)} | ({"nextToken": token} if token is not None else {})
        return f"/users?{urlencode(query)}"

    def call(self, method: str, path: str, document: Any = None) -> Answer:
        body = None if document is None else json.dumps(document).encode()
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        try:
            connection = self._connection()
            connection.request(method, self._base + path, body, headers)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self._drop()
            return Answer(None, None, started, time.monotonic(), f"{type(error).__name__}: {error}")
        ended = time.monotonic()
        if response.will_close:
            self._drop()
        return Answer(response.status, _json(data), started, ended)

    def close(self) -> None:
        self._drop()

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            connection = kind(self._host, self._port, timeout=self._timeout)
            self._local.connection = connection
        return connection

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()


def _json(data: bytes) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None
