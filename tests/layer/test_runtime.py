"""The layer's runtime loop posts a streamed answer as Lambda's Runtime API documents it (runtimes-custom,
"Implementing response streaming"): chunked, in streaming mode, with the error trailers when the app fails."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from lambda_wsgi.runtime import stream_to_runtime
from lambda_wsgi.streaming import CONTENT_TYPE, DELIMITER, StreamedResponse


class RecordingRuntimeApi:
    """Accepts one request and keeps its raw bytes; answers 202 as the Runtime API does."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self.raw = b""
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        connection, _ = self._listener.accept()
        with connection:
            while not self.raw.endswith(b"\r\n\r\n") or b"\r\n0\r\n" not in self.raw:
                data = connection.recv(65536)
                if not data:
                    break
                self.raw += data
            connection.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}")
        self._listener.close()

    def request(self) -> tuple[str, dict[str, str], list[bytes], dict[str, str]]:
        self._thread.join(timeout=10)
        head, _, rest = self.raw.partition(b"\r\n\r\n")
        request_line, *fields = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip() for name, _, value in (field.partition(":") for field in fields)}
        chunks: list[bytes] = []
        while True:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            chunks.append(rest[:size])
            rest = rest[size + 2 :]
        trailer_lines = rest.decode("latin-1").split("\r\n")
        trailers = {
            name.lower(): value.strip() for name, _, value in (line.partition(":") for line in trailer_lines if line)
        }
        return request_line, headers, chunks, trailers


def frames(*pieces: bytes, fail_after: int | None = None) -> Iterator[bytes]:
    for number, piece in enumerate(pieces):
        if fail_after is not None and number == fail_after:
            raise ValueError("the view failed midway")
        yield piece


def test_a_stream_is_posted_chunked_in_streaming_mode() -> None:
    api = RecordingRuntimeApi()
    prelude = json.dumps({"statusCode": 200, "headers": {"Content-Type": "text/plain"}, "cookies": []}).encode()
    stream_to_runtime(api.address, "req-1", StreamedResponse(frames(prelude + DELIMITER + b"one", b"two")))
    request_line, headers, chunks, trailers = api.request()
    assert request_line == "POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1"
    assert headers["lambda-runtime-function-response-mode"] == "streaming"
    assert headers["transfer-encoding"] == "chunked"
    assert headers["content-type"] == CONTENT_TYPE == "application/vnd.awslambda.http-integration-response"
    assert headers["trailer"] == "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"
    assert chunks == [prelude + b"\0\0\0\0\0\0\0\0one", b"two"]
    assert trailers == {}


def test_an_error_midway_ends_the_stream_with_the_error_trailers(caplog: pytest.LogCaptureFixture) -> None:
    api = RecordingRuntimeApi()
    stream_to_runtime(api.address, "req-2", StreamedResponse(frames(b"{}" + DELIMITER + b"one", b"two", fail_after=1)))
    _, _, chunks, trailers = api.request()
    assert chunks == [b"{}" + DELIMITER + b"one"]
    assert trailers["lambda-runtime-function-error-type"] == "ValueError"
    report: dict[str, Any] = json.loads(base64.b64decode(trailers["lambda-runtime-function-error-body"]))
    assert report["errorType"] == "ValueError"
    assert report["errorMessage"] == "the view failed midway"
    assert isinstance(report["stackTrace"], list)
    assert "req-2" in caplog.text


def test_empty_pieces_never_end_the_chunked_body_early() -> None:
    api = RecordingRuntimeApi()
    stream_to_runtime(api.address, "req-3", StreamedResponse(frames(b"{}" + DELIMITER, b"", b"after")))
    _, _, chunks, trailers = api.request()
    assert chunks == [b"{}" + DELIMITER, b"after"]
    assert trailers == {}


def test_system_exit_midway_is_the_apps_failure_not_the_runtimes() -> None:
    def exiting() -> Iterator[bytes]:
        yield b"{}" + DELIMITER
        raise SystemExit(2)

    api = RecordingRuntimeApi()
    stream_to_runtime(api.address, "req-4", StreamedResponse(exiting()))
    _, _, _, trailers = api.request()
    assert trailers["lambda-runtime-function-error-type"] == "SystemExit"
