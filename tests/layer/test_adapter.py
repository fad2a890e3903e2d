"""The adapter: bad events get a 400, crashes a 500 naming the request id, non-HTTP events one clear error,
and any request survives event → Flask → result exactly."""

from __future__ import annotations

import base64
import json
import logging
import string
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from awslambdaric.lambda_runtime_log_utils import JsonFormatter
from flask import Blueprint, Response, request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambda_wsgi.adapter
from lambda_wsgi import Adapter, UnsupportedEventError
from lambda_wsgi.app_loader import app_for_blueprint
from lambda_wsgi.aws import MAX_INVOKE_PAYLOAD
from tests.conftest import http_event, lambda_context, load_event
from tests.layer import sample_routes
from tests.layer.conftest import Invoke, body_bytes, json_body


def test_a_view_exception_becomes_a_json_500_with_the_request_id(
    adapter: Adapter, caplog: pytest.LogCaptureFixture
) -> None:
    result: dict[str, Any] = dict(adapter(http_event(raw_path="/fails"), lambda_context("req-500")))
    assert result["statusCode"] == 500
    assert result["headers"]["Content-Type"] == "application/json"
    assert json_body(result) == {"message": "Internal Server Error", "requestId": "req-500"}
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None
    assert "the view broke" in str(errors[0].exc_info[1])


def test_an_exception_midway_through_a_stream_becomes_a_500_and_the_stream_is_closed(
    adapter: Adapter, caplog: pytest.LogCaptureFixture
) -> None:
    sample_routes.closed_streams.clear()
    result: dict[str, Any] = dict(adapter(http_event(raw_path="/stream-fails"), lambda_context("req-stream")))
    assert result["statusCode"] == 500
    assert json_body(result) == {"message": "Internal Server Error", "requestId": "req-stream"}
    assert "partial" not in result["body"]
    assert sample_routes.closed_streams == ["stream-fails"]
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "req-stream" in errors[0].getMessage()
    assert "the stream broke midway" in str(errors[0].exc_info[1])  # type: ignore[index]


def test_a_raw_wsgi_app_that_raises_gets_the_same_json_500() -> None:
    def broken(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise ValueError("boom")

    result = dict(Adapter(broken)(http_event(raw_path="/"), lambda_context("req-raw")))
    assert (result["statusCode"], json_body(result)) == (
        500,
        {"message": "Internal Server Error", "requestId": "req-raw"},
    )


@pytest.mark.parametrize("event", ["just a string", 42, None, [{"version": "2.0"}]])
def test_an_event_that_is_not_an_object_gets_a_400(adapter: Adapter, event: object) -> None:
    result = dict(adapter(event, lambda_context()))
    assert result["statusCode"] == 400
    assert "JSON object" in json_body(result)["message"]


def test_a_v2_event_without_request_context_gets_a_400(invoke: Invoke) -> None:
    result = invoke(load_event("malformed_v2_no_context"))
    assert result["statusCode"] == 400
    assert json_body(result) == {"message": "a payload 2.0 event needs requestContext.http"}


def test_invalid_base64_gets_a_400(invoke: Invoke, base64_codec: str) -> None:
    result = invoke(load_event("malformed_v2_bad_base64"))
    assert result["statusCode"] == 400
    assert "base64" in json_body(result)["message"]


@pytest.mark.parametrize(
    ("fixture", "field", "value", "message"),
    [
        (
            "http_api_v2",
            ("requestContext", "http", "method"),
            5,
            "requestContext.http.method must be a string, not int",
        ),
        ("http_api_v2", ("headers", "accept"), None, "headers.accept must be a string, not null"),
        ("http_api_v2", ("cookies",), ["a=1", 2], "cookies[1] must be a string, not int"),
        ("http_api_v2", ("headers", "x-odd"), "caf\udce9", "headers.x-odd is not Unicode text"),
        ("http_api_v2", ("body",), "\ud800", "body is not Unicode text"),
        ("rest_api_v1", ("httpMethod",), None, "httpMethod is missing"),
        ("rest_api_v1", ("multiValueHeaders", "Accept"), [1], "multiValueHeaders.Accept[0] must be a string, not int"),
        (
            "alb_multi",
            ("multiValueHeaders", "accept"),
            5,
            "multiValueHeaders.accept must be an array, not int",
        ),
    ],
)
def test_a_field_of_the_wrong_type_is_a_400_that_names_it(
    *,
    adapter: Adapter,
    fixture: str,
    field: tuple[str, ...],
    value: Any,
    message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = load_event(fixture)
    parent = event
    for name in field[:-1]:
        parent = parent.setdefault(name, {})
    parent[field[-1]] = value
    result = dict(adapter(event, lambda_context()))
    assert result["statusCode"] == 400
    assert message in json_body(result)["message"]
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]  # the client's fault


def test_a_fault_of_the_layer_reading_a_sound_event_is_a_500_with_its_traceback(
    adapter: Adapter, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Only a field of the wrong type is the client's fault: a bug in the layer must not look like a bad request."""

    def broken(**fields: Any) -> dict[str, Any]:
        raise TypeError("a bug in the layer")

    monkeypatch.setattr("lambda_wsgi.sources.http_api_v2.build_environ", broken)
    result = dict(adapter(http_event(raw_path="/users/ada"), lambda_context("req-bug")))
    assert result["statusCode"] == 500
    assert json_body(result) == {"message": "Internal Server Error", "requestId": "req-bug"}
    (record,) = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert "req-bug" in record.getMessage()
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "a bug in the layer"


@pytest.mark.parametrize("fixture", ["sqs", "s3", "schedule", "direct_invoke"])
def test_non_http_events_raise_one_deliberate_error(adapter: Adapter, fixture: str) -> None:
    with pytest.raises(UnsupportedEventError, match="handles HTTP requests only"):
        adapter(load_event(fixture), lambda_context())


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == "lambda_wsgi" and record.levelno == logging.INFO
    ]


@pytest.fixture
def logging_adapter() -> Adapter:
    """The sample app with the access line turned on."""
    return Adapter(app_for_blueprint(sample_routes.routes, sample_routes.__name__), access_log=True)


def test_one_access_line_per_request_saying_how_the_environment_started(
    logging_adapter: Adapter, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = logging_adapter
    caplog.set_level(logging.INFO, logger="lambda_wsgi")
    adapter(http_event(raw_path="/users/ada"), lambda_context("first"))
    adapter(http_event(method="POST", raw_path="/nowhere", stage="prod"), lambda_context("second"))
    first, second = access_lines(caplog)
    assert {key: first[key] for key in ("type", "requestId", "method", "path", "status", "start", "source")} == {
        "type": "access",
        "requestId": "first",
        "method": "GET",
        "path": "/users/ada",
        "status": 200,
        "start": "cold",
        "source": "http-api-v2",
    }
    assert (second["requestId"], second["path"], second["status"], second["start"]) == (
        "second",
        "/prod/nowhere",
        404,
        "warm",
    )
    assert first["durationMs"] > 0


def test_access_line_fits_lambdas_json_log_format(logging_adapter: Adapter, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="lambda_wsgi")
    logging_adapter(http_event(raw_path="/users/ada"), lambda_context("json-mode"))
    record = next(record for record in caplog.records if record.name == "lambda_wsgi")
    formatted = json.loads(JsonFormatter().format(record))
    assert formatted["level"] == "INFO"
    assert formatted["message"]["requestId"] == "json-mode"  # an object, not a string of JSON
    assert formatted["message"]["status"] == 200


def test_the_access_line_is_off_by_default(adapter: Adapter, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="lambda_wsgi")
    assert adapter(http_event(raw_path="/users/ada"), lambda_context())["statusCode"] == 200
    assert access_lines(caplog) == []


def test_a_response_over_lambdas_payload_limit_is_a_clear_500(caplog: pytest.LogCaptureFixture) -> None:
    def huge(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [bytes(5 * 1024 * 1024)]  # 6.7 MB once base64-encoded

    result = dict(Adapter(huge)(http_event(raw_path="/download"), lambda_context("req-big")))
    assert result["statusCode"] == 500
    assert json_body(result) == {"message": "response too large for Lambda", "requestId": "req-big"}
    assert any("over Lambda's 6 MB payload limit" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("fixture", ["http_api_v2", "rest_api_v1", "alb_multi"])
def test_a_refused_response_is_logged_as_the_500_the_client_got(fixture: str, caplog: pytest.LogCaptureFixture) -> None:
    def odd(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [(42, "not a header name")])
        return [b"fine"]

    caplog.set_level(logging.INFO, logger="lambda_wsgi")
    result = dict(Adapter(odd, access_log=True)(load_event(fixture), lambda_context("req-odd")))
    assert result["statusCode"] == 500
    assert json_body(result) == {"message": "Internal Server Error", "requestId": "req-odd"}
    assert any(
        record.levelno == logging.ERROR and "was not sent: a header name is of type int" in record.getMessage()
        for record in caplog.records
    )
    assert [line["status"] for line in access_lines(caplog)] == [500]  # the line tells what the client got


def test_a_response_just_under_the_limit_passes() -> None:
    def big(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [bytes(4 * 1024 * 1024)]

    result = dict(Adapter(big)(http_event(raw_path="/download"), lambda_context()))
    assert result["statusCode"] == 200
    assert len(body_bytes(result)) == 4 * 1024 * 1024


def test_the_payload_limit_counts_the_bytes_lambda_sends() -> None:
    """Under 6 MB of characters, over 6 MB once JSON-escaped and UTF-8 encoded."""

    def quotes(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return [('"é' * (2 * 1024 * 1024)).encode()]  # 4 M characters, 10 MB as JSON

    result = dict(Adapter(quotes)(http_event(raw_path="/"), lambda_context()))
    assert result["statusCode"] == 500
    assert json_body(result)["message"] == "response too large for Lambda"


@pytest.mark.parametrize("fixture", ["http_api_v2", "function_url", "http_api_v1", "rest_api_v1"])  # ALB: test_alb
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([("X-Big", "a" * MAX_INVOKE_PAYLOAD)], id="one-header"),
        pytest.param([("Set-Cookie", f"c{n}={'v' * 4000}") for n in range(1600)], id="cookies"),
        pytest.param([("X-Quotes", '"' * (MAX_INVOKE_PAYLOAD // 2 + 1))], id="escaped-in-json"),
    ],
)
def test_headers_and_cookies_count_toward_the_payload_limit(
    fixture: str, headers: list[tuple[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), *headers])
        return [b"a small body"]

    result = answered(Adapter(app), load_event(fixture), "req-headers")
    assert result["statusCode"] == 500
    assert json_body(result) == {"message": "response too large for Lambda", "requestId": "req-headers"}
    (record,) = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert "over Lambda's 6 MB payload limit" in record.getMessage()


def test_large_headers_under_the_limit_pass() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Big", "a" * (3 * 1024 * 1024))])
        return [b"x" * (2 * 1024 * 1024)]

    result = answered(Adapter(app), http_event(raw_path="/"), "req-fits")
    assert result["statusCode"] == 200
    assert len(json.dumps(result).encode()) < MAX_INVOKE_PAYLOAD


def test_small_results_are_not_serialized_to_be_measured(invoke: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    def measured(*args: Any) -> int:
        raise AssertionError("a small result was serialized to measure it")

    monkeypatch.setattr(lambda_wsgi.adapter, "_json_size", measured)
    for event in (http_event(raw_path="/cookies"), load_event("rest_api_v1"), load_event("alb_single")):
        assert invoke(event)["statusCode"] in {200, 404}


def test_a_rest_event_without_request_context_is_a_bad_request(adapter: Adapter) -> None:
    event = load_event("rest_api_v1")
    event["requestContext"] = None
    result = dict(adapter(event, lambda_context()))
    assert result["statusCode"] == 400
    assert "requestContext" in json_body(result)["message"]


# Property: random paths, queries, headers, cookies and bodies survive event → Flask → result exactly.
mirror = Blueprint("mirror", __name__)


@mirror.route("/<path:rest>", methods=["POST"])
def reflect(rest: str) -> Response:
    """Answer with everything received: headers and cookies come back as headers and cookies."""
    described: dict[str, Any] = {
        "path": request.path,
        "args": request.args.to_dict(flat=False),
        "query_string": request.query_string.decode("latin-1"),
        "headers": {name.lower(): value for name, value in request.headers.items() if name.lower().startswith("x-t-")},
        "cookies": request.cookies.to_dict(),
    }
    response = Response(request.get_data(), content_type=request.content_type)
    response.headers["X-Described"] = base64.b64encode(json.dumps(described).encode()).decode()
    for name, value in described["headers"].items():
        response.headers["X-Echo-" + name] = value
    for name, value in described["cookies"].items():
        response.set_cookie(name, value)
    return response


ADAPTER = Adapter(app_for_blueprint(mirror, __name__))

# Control characters are left out: werkzeug's path converter does not match a newline.
segment = st.text(st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="/"), min_size=1, max_size=12)
query_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=10)
header_name = st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=12).map(lambda s: "x-t-" + s)
header_value = st.text(string.ascii_letters + string.digits + " !#$%&'()*+,-./:;<=>?@[]^_`{|}~", max_size=30).map(
    str.strip
)
cookie_name = st.text(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~", min_size=1, max_size=10)
cookie_value = st.text(string.ascii_letters + string.digits + "!#$%&'()*+-./:<=>?@[]^_`{|}~", max_size=20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    segments=st.lists(segment, min_size=1, max_size=4),
    pairs=st.lists(st.tuples(query_text.filter(bool), query_text), max_size=5),
    headers=st.dictionaries(header_name, header_value, max_size=5),
    cookies=st.dictionaries(cookie_name, cookie_value, max_size=4),
    body=st.one_of(st.binary(max_size=2000), st.text(max_size=500)),
)
def test_request_and_response_round_trip(
    segments: list[str],
    pairs: list[tuple[str, str]],
    headers: dict[str, str],
    cookies: dict[str, str],
    body: bytes | str,
) -> None:
    raw_path = "/" + "/".join(quote(part, safe="") for part in segments)
    query = urlencode(pairs)
    content_type = "application/octet-stream" if isinstance(body, bytes) else "text/plain; charset=utf-8"
    event = http_event(
        method="POST",
        raw_path=raw_path,
        query=query,
        headers={**headers, "content-type": content_type},
        cookies=[f"{name}={value}" for name, value in cookies.items()],
        body=body,
    )
    result = ADAPTER(event, lambda_context())
    assert result["statusCode"] == 200, result

    out_headers = result["headers"]
    described = json.loads(base64.b64decode(out_headers["X-Described"]))
    assert described["path"] == "/" + "/".join(segments)
    assert described["query_string"] == query
    expected_args: dict[str, list[str]] = {}
    for key, value in pairs:
        expected_args.setdefault(key, []).append(value)
    assert described["args"] == expected_args
    assert described["headers"] == headers
    assert described["cookies"] == cookies

    sent = body if isinstance(body, bytes) else body.encode()
    received = base64.b64decode(result["body"]) if result["isBase64Encoded"] else result["body"].encode()
    assert received == sent
    assert result["isBase64Encoded"] is isinstance(body, bytes) or not sent
    for name, value in headers.items():
        assert out_headers["X-Echo-" + name] == value
    pairs_back = (cookie.split(";")[0].partition("=") for cookie in result["cookies"])
    returned = {name: value for name, _, value in pairs_back}
    assert {name: value.strip('"') for name, value in returned.items()} == cookies


# Whatever the app raises, even what Python keeps for ending a program, ends as a 500: a Lambda handler that raises
# leaves API Gateway with a bare 502, and SystemExit would end the execution environment as well.
ESCAPING = [SystemExit(3), KeyboardInterrupt(), GeneratorExit(), MemoryError("a huge allocation")]


def raising_app(raised: BaseException, where: str) -> Any:
    """A WSGI app that raises `raised` in its call, while its body is iterated, or in its close()."""

    class Body:
        def __iter__(self) -> Any:
            yield b"partial"
            if where == "iteration":
                raise raised

        def close(self) -> None:
            if where == "close":
                raise raised

    def app(environ: dict[str, Any], start_response: Any) -> Body:
        if where == "call":
            raise raised
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Body()

    return app


def answered(adapter: Adapter, event: dict[str, Any], request_id: str) -> dict[str, Any]:
    """The handler's result; a test failure, not an interrupted test run, if anything escapes it."""
    try:
        return dict(adapter(event, lambda_context(request_id)))
    except BaseException as escaped:  # caught here: a KeyboardInterrupt would stop pytest itself
        pytest.fail(f"{escaped!r} escaped the handler")


@pytest.mark.parametrize("where", ["call", "iteration", "close"])
@pytest.mark.parametrize("raised", ESCAPING, ids=lambda error: type(error).__name__)
def test_whatever_the_app_raises_ends_as_a_json_500_with_the_request_id(
    raised: BaseException, where: str, caplog: pytest.LogCaptureFixture
) -> None:
    result = answered(Adapter(raising_app(raised, where)), http_event(raw_path="/"), "req-exit")
    assert result["statusCode"] == 500
    assert json_body(result) == {"message": "Internal Server Error", "requestId": "req-exit"}
    (record,) = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert "req-exit" in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[1] is raised


@pytest.mark.parametrize("fixture", ["function_url", "rest_api_v1", "alb_single"])
def test_sys_exit_in_a_flask_view_is_a_500_for_every_kind(fixture: str) -> None:
    exits = Blueprint("exits", __name__)

    @exits.route("/<path:anything>", methods=["GET", "POST"])
    @exits.route("/", methods=["GET", "POST"])
    def leave(anything: str = "") -> str:
        raise SystemExit("the view called sys.exit")

    result = answered(Adapter(app_for_blueprint(exits, __name__)), load_event(fixture), "req-view-exit")
    assert (result["statusCode"], json_body(result)["requestId"]) == (500, "req-view-exit")
