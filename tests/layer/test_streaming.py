"""Streamed answers: the frame (prelude, eight NULs, body) and the app run as a server that sends as it goes."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from lambda_wsgi import Adapter, StreamingAdapter, streaming
from lambda_wsgi.response import HttpResponse, json_error
from lambda_wsgi.streaming import DELIMITER, StreamedResponse, prelude, stream_app, streamed_kinds
from tests.conftest import load_event

StartResponse = Callable[..., Any]


def split(frames: bytes) -> tuple[dict[str, Any], bytes]:
    head, delimiter, body = frames.partition(DELIMITER)
    assert delimiter == DELIMITER
    document: dict[str, Any] = json.loads(head)
    return document, body


def environ(method: str = "GET") -> dict[str, Any]:
    return {"REQUEST_METHOD": method}


def fail(error: BaseException) -> HttpResponse:
    return json_error(500, "Internal Server Error", "Internal Server Error", failed=type(error).__name__)


class Recorder:
    """A WSGI app yielding `chunks`, noting how far it got and whether it was closed."""

    def __init__(self, chunks: list[bytes], status: str = "200 OK", headers: list[tuple[str, str]] | None = None):
        self.chunks, self.status = chunks, status
        self.headers = headers if headers is not None else [("Content-Type", "text/plain")]
        self.made = 0
        self.closed = False

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        start_response(self.status, self.headers)
        return self._body()

    def _body(self) -> Iterator[bytes]:
        try:
            for chunk in self.chunks:
                self.made += 1
                yield chunk
        finally:
            self.closed = True


def test_function_url_prelude_folds_headers_and_lists_cookies() -> None:
    response = HttpResponse(
        201, "Created", [("X-A", "1"), ("X-A", "2"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")], b""
    )
    document, body = split(prelude("function-url", response))
    assert document == {"statusCode": 201, "headers": {"X-A": "1, 2"}, "cookies": ["a=1", "b=2"]}
    assert body == b""


def test_rest_api_prelude_keeps_repeated_headers() -> None:
    response = HttpResponse(200, "OK", [("X-A", "1"), ("X-A", "2"), ("Set-Cookie", "a=1")], b"")
    document, _ = split(prelude("rest-api", response))
    assert document == {"statusCode": 200, "multiValueHeaders": {"X-A": ["1", "2"]}, "cookies": ["a=1"]}


def test_each_chunk_leaves_before_the_next_is_made() -> None:
    app = Recorder([b"one", b"two", b"three"])
    frames = iter(stream_app(app, environ(), "function-url", fail))
    document, body = split(next(frames))
    assert (document["statusCode"], body, app.made) == (200, b"one", 1)
    assert next(frames) == b"two"
    assert app.made == 2
    assert list(frames) == [b"three"]
    assert app.closed


def test_what_write_took_leaves_in_order_with_the_yielded_chunks() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        write = start_response("200 OK", [])
        write(b"a")
        yield b"b"
        write(b"c")
        yield b""

    frames = b"".join(stream_app(app, environ(), "function-url", fail))
    assert split(frames)[1] == b"abc"


@pytest.mark.parametrize(
    ("status", "method"), [("204 No Content", "GET"), ("304 Not Modified", "GET"), ("200 OK", "HEAD")]
)
def test_no_body_for_head_204_and_304(status: str, method: str) -> None:
    app = Recorder([b"never sent"], status=status)
    document, body = split(b"".join(stream_app(app, environ(method), "function-url", fail)))
    assert (document["statusCode"], body) == (int(status[:3]), b"")
    assert app.closed


def test_an_error_before_the_first_byte_is_the_whole_error_answer() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [])
        raise SystemExit(3)
        yield b"unreachable"  # pragma: no cover

    document, body = split(b"".join(stream_app(app, environ(), "function-url", fail)))
    assert document["statusCode"] == 500
    assert json.loads(body)["failed"] == "SystemExit"


def test_an_unsafe_header_is_the_error_answer_never_sent() -> None:
    app = Recorder([b"x"], headers=[("X-Bad", "a\r\nInjected: 1")])
    document, body = split(b"".join(stream_app(app, environ(), "function-url", fail)))
    assert document["statusCode"] == 500
    assert b"Injected" not in body
    assert "X-Bad" not in document["headers"]


def test_an_error_after_the_first_byte_propagates_and_closes_the_app() -> None:
    closed: list[bool] = []

    def body() -> Iterator[bytes]:
        try:
            yield b"first"
            raise RuntimeError("midway")
        finally:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [])
        return body()

    frames = iter(stream_app(app, environ(), "function-url", fail))
    assert split(next(frames))[1] == b"first"
    with pytest.raises(RuntimeError, match="midway"):
        next(frames)
    assert closed == [True]


def test_a_client_that_goes_away_stops_the_iteration_and_closes_the_app() -> None:
    app = Recorder([b"one", b"two", b"three"])
    response = stream_app(app, environ(), "function-url", fail)
    frames = iter(response)
    next(frames)
    response.close()
    assert app.closed
    assert app.made == 1


def test_the_adapter_streams_only_the_kinds_it_is_told(monkeypatch: pytest.MonkeyPatch) -> None:
    app = Recorder([b"hello"])
    adapter = StreamingAdapter(app, frozenset({"function-url", "rest-api"}))
    url = adapter(load_event("function_url"), None)
    assert isinstance(url, StreamedResponse)
    assert split(b"".join(url))[1] == b"hello"
    assert isinstance(adapter(load_event("rest_api_v1"), None), StreamedResponse)
    # HTTP APIs cannot stream, whatever the setting: their events (2.0, and 1.0 beside REST's) stay buffered.
    assert isinstance(adapter(load_event("http_api_v2"), None), dict)
    assert isinstance(adapter(load_event("http_api_v1"), None), dict)
    assert isinstance(StreamingAdapter(app, frozenset({"rest-api"}))(load_event("function_url"), None), dict)
    assert isinstance(Adapter(app)(load_event("function_url"), None), dict)


def test_the_adapter_answers_an_app_error_before_the_first_byte_with_its_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        raise ValueError("broken")

    event = load_event("function_url")
    result = StreamingAdapter(app, frozenset({"function-url"}))(event, None)
    assert isinstance(result, StreamedResponse)
    document, body = split(b"".join(result))
    request_id = event["requestContext"]["requestId"]
    assert (document["statusCode"], json.loads(body)["requestId"]) == (500, request_id)
    assert any(request_id in record.getMessage() for record in caplog.records)


def test_an_event_that_makes_no_request_is_answered_whole_in_the_stream() -> None:
    event = load_event("function_url")
    event["body"], event["isBase64Encoded"] = "not base64!", True
    result = StreamingAdapter(Recorder([b"never"]), frozenset({"function-url"}))(event, None)
    assert isinstance(result, StreamedResponse)
    document, body = split(b"".join(result))
    assert document["statusCode"] == 400
    assert "base64" in json.loads(body)["message"]


def test_streaming_needs_the_runtime_loop(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(streaming, "runtime_streams", False)
    with caplog.at_level(logging.WARNING, logger="lambda_wsgi"):
        assert streamed_kinds(frozenset({"function-url"})) == frozenset()
    assert "AWS_LAMBDA_EXEC_WRAPPER=/opt/flask-lambda-runtime" in caplog.text
    monkeypatch.setattr(streaming, "runtime_streams", True)
    assert streamed_kinds(frozenset({"function-url"})) == {"function-url"}


def test_a_streaming_adapter_leaves_other_events_to_the_buffered_way() -> None:
    from lambda_wsgi.errors import UnsupportedEventError

    adapter = StreamingAdapter(Recorder([b"never"]), frozenset({"function-url"}))
    with pytest.raises(UnsupportedEventError, match="sqs"):
        adapter(load_event("sqs"), None)
    assert adapter([], None)["statusCode"] == 400


# The fields AWS documents for each prelude: API Gateway's "Set up a Lambda proxy integration with payload response
# streaming" (REST) and Lambda's function URL response format (the same as a payload 2.0 result, less the body).
DOCUMENTED = {
    "rest-api": {"statusCode": int, "headers": dict, "multiValueHeaders": dict, "cookies": list},
    "function-url": {"statusCode": int, "headers": dict, "cookies": list},
}


@pytest.mark.parametrize("kind", sorted(DOCUMENTED))
def test_each_prelude_holds_only_documented_fields_then_eight_nuls(kind: str) -> None:
    response = HttpResponse(200, "OK", [("Content-Type", "text/event-stream"), ("Set-Cookie", "s=1")], b"")
    frame = prelude(kind, response)
    assert frame.endswith(b"\x00" * 8)
    assert frame.count(b"\x00") == 8
    document = json.loads(frame[:-8])
    assert set(document) <= set(DOCUMENTED[kind])
    assert all(isinstance(value, DOCUMENTED[kind][name]) for name, value in document.items())
    assert document["cookies"] == ["s=1"]


def test_the_access_line_of_a_stream_comes_when_it_is_over(caplog: pytest.LogCaptureFixture) -> None:
    adapter = StreamingAdapter(Recorder([b"one", b"two"]), frozenset({"function-url"}), access_log=True)
    event = load_event("function_url")
    with caplog.at_level(logging.INFO, logger="lambda_wsgi"):
        result = adapter(event, None)
        assert isinstance(result, StreamedResponse)
        frames = iter(result)
        next(frames)
        assert "access" not in caplog.text, "logged before the stream was over"
        list(frames)
    (line,) = [json.loads(record.getMessage()) for record in caplog.records if '"type":"access"' in record.getMessage()]
    assert (line["status"], line["source"], line["requestId"]) == (
        200,
        "function-url",
        event["requestContext"]["requestId"],
    )
