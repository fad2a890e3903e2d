"""The events API: handlers recorded on a Blueprint or app, called in the app context for each kind of event.

Each test builds its own Blueprint, so the sample app (and tests/layer/test_main.py) keeps refusing these events.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask import Blueprint, Flask, current_app

from lambda_wsgi import Adapter, UnsupportedEventError, events
from lambda_wsgi.app_loader import app_for_blueprint, with_json_errors
from tests.conftest import lambda_context, load_event


def serve(blueprint: Blueprint) -> Adapter:
    return Adapter(app_for_blueprint(blueprint, __name__))


def test_sqs_reports_exactly_the_failed_message(caplog: pytest.LogCaptureFixture) -> None:
    blueprint = Blueprint("queue", __name__)
    seen: list[tuple[str, str]] = []

    @events.sqs(blueprint)
    def handle(record: dict[str, Any]) -> None:
        user = json.loads(record["body"])["user"]
        seen.append((user, current_app.import_name))
        if user == "broken":
            raise ValueError("no such user")

    with caplog.at_level(logging.ERROR, logger="lambda_wsgi"):
        result = serve(blueprint)(load_event("sqs_batch"), lambda_context("req-sqs"))
    assert result == {"batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]}
    assert [user for user, _ in seen] == ["ada", "broken", "grace"]
    assert {app for _, app in seen} == {__name__}  # in the app context of the app that serves HTTP
    (line,) = caplog.records
    assert line.getMessage() == (
        "the SQS message 2e1424d4-f796-459a-8184-9c92662be6da (request id req-sqs) failed; it will be retried"
    )


def test_a_fifo_queue_retries_everything_from_the_first_failure() -> None:
    blueprint = Blueprint("queue", __name__)
    seen: list[str] = []

    @events.sqs(blueprint)
    def handle(record: dict[str, Any]) -> None:
        seen.append(record["messageId"])
        raise ValueError("down")

    event = load_event("sqs_batch")
    for record in event["Records"]:
        record["eventSourceARN"] += ".fifo"
    result = serve(blueprint)(event, lambda_context())
    assert [failure["itemIdentifier"] for failure in result["batchItemFailures"]] == [
        record["messageId"] for record in event["Records"]
    ]
    assert seen == [event["Records"][0]["messageId"]]


def test_s3_calls_the_handler_per_record() -> None:
    blueprint = Blueprint("uploads", __name__)
    keys: list[str] = []

    @events.s3(blueprint)
    def uploaded(record: dict[str, Any]) -> None:
        keys.append(record["s3"]["object"]["key"])

    assert serve(blueprint)(load_event("s3"), lambda_context()) is None
    assert keys == ["b21b84d653bb07b05b1e6b33684dc11b"]


def test_dynamodb_streams_stops_at_the_first_failure_by_sequence_number() -> None:
    blueprint = Blueprint("changes", __name__)
    seen: list[str] = []

    @events.dynamodb(blueprint)
    def changed(record: dict[str, Any]) -> None:
        seen.append(record["eventName"])
        if record["eventName"] == "MODIFY":
            raise RuntimeError("later")

    result = serve(blueprint)(load_event("dynamodb_stream"), lambda_context())
    assert result == {"batchItemFailures": [{"itemIdentifier": "4421584500000000017450439092"}]}
    assert seen == ["INSERT", "MODIFY"]


def test_eventbridge_handlers_are_filtered_by_source_and_detail_type() -> None:
    blueprint = Blueprint("bus", __name__)
    calls: list[str] = []

    @events.eventbridge(blueprint, source="com.example.shop", detail_type="Order Placed")
    def placed(event: dict[str, Any]) -> None:
        calls.append(f"placed {event['detail']['orderId']}")

    @events.eventbridge(blueprint, detail_type="Order Shipped")
    def shipped(event: dict[str, Any]) -> None:
        calls.append("shipped")

    @events.eventbridge(blueprint)
    def everything(event: dict[str, Any]) -> None:
        calls.append(f"any {event['detail-type']}")

    adapter = serve(blueprint)
    assert adapter(load_event("eventbridge"), lambda_context()) is None
    assert calls == ["placed o-1001", "any Order Placed"]


def test_an_eventbridge_event_no_handler_wants_keeps_the_clear_error() -> None:
    blueprint = Blueprint("bus", __name__)

    @events.eventbridge(blueprint, source="com.example.other")
    def other(event: dict[str, Any]) -> None:
        raise AssertionError("not this one")

    with pytest.raises(UnsupportedEventError, match=r"an EventBridge event \(com.example.shop, 'Order Placed'\)"):
        serve(blueprint)(load_event("eventbridge"), lambda_context())


def test_a_direct_invoke_returns_the_handler_s_result_on_a_flask_app() -> None:
    app = Flask("direct")

    @events.invoke(app)
    def direct(payload: dict[str, Any]) -> dict[str, Any]:
        return {"keys": sorted(payload), "app": current_app.name}

    result = Adapter(with_json_errors(app))(load_event("direct_invoke"), lambda_context())
    assert result == {"keys": ["key1", "key2", "key3"], "app": "direct"}


def test_an_invoke_result_that_is_not_json_is_named() -> None:
    app = Flask("direct")

    @events.invoke(app)
    def direct(payload: dict[str, Any]) -> object:
        return object()

    with pytest.raises(TypeError, match=r"the invoke handler .*direct returned what is not JSON"):
        Adapter(with_json_errors(app))(load_event("direct_invoke"), lambda_context())


def test_an_app_has_one_invoke_handler() -> None:
    app = Flask("direct")
    events.invoke(app)(lambda payload: None)
    with pytest.raises(ValueError, match="the app has an invoke handler already"):
        events.invoke(app)(lambda payload: None)


def test_handlers_need_a_flask_app_or_blueprint() -> None:
    with pytest.raises(TypeError, match="not a function"):
        events.sqs(lambda environ, start_response: [])


@pytest.mark.parametrize("fixture", ["sqs", "s3", "schedule", "direct_invoke", "dynamodb_stream"])
def test_an_event_without_a_handler_keeps_the_clear_error(fixture: str) -> None:
    blueprint = Blueprint("bus", __name__)

    @events.eventbridge(blueprint, source="com.example.shop")
    def shop(event: dict[str, Any]) -> None:
        raise AssertionError("not this one")

    with pytest.raises(UnsupportedEventError, match="this function handles HTTP requests only"):
        serve(blueprint)(load_event(fixture), lambda_context())


def test_a_blueprint_without_handlers_costs_the_app_nothing() -> None:
    app = app_for_blueprint(Blueprint("plain", __name__), __name__)
    assert events.EXTENSION not in app.extensions  # type: ignore[attr-defined]
