"""Handlers for events that are not HTTP requests: SQS, S3, DynamoDB Streams, EventBridge and direct invokes.

Decorators record them on a Flask app or Blueprint (nothing runs at import); the layer calls them in the app context.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = ["EXTENSION", "UNHANDLED", "Handlers", "dynamodb", "eventbridge", "handle", "invoke", "s3", "sqs"]

logger = logging.getLogger("lambda_wsgi")

Handler = TypeVar("Handler", bound=Callable[..., Any])
RecordHandler = Callable[[dict[str, Any]], Any]

# Where an app keeps its handlers (`app.extensions[EXTENSION]`).
EXTENSION = "lambda_wsgi.events"
# What `handle` returns for an event no handler takes, so the caller can refuse it as before.
UNHANDLED: Any = object()


@dataclass
class EventBridgeHandler:
    source: str | None
    detail_type: str | None
    function: RecordHandler

    def wants(self, event: dict[str, Any]) -> bool:
        return (self.source is None or self.source == event["source"]) and (
            self.detail_type is None or self.detail_type == event["detail-type"]
        )


@dataclass
class Handlers:
    """One app's handlers, in the order they were registered."""

    sqs: list[RecordHandler] = field(default_factory=list)
    s3: list[RecordHandler] = field(default_factory=list)
    dynamodb: list[RecordHandler] = field(default_factory=list)
    eventbridge: list[EventBridgeHandler] = field(default_factory=list)
    invoke: RecordHandler | None = None


def sqs(target: Any) -> Callable[[Handler], Handler]:
    """`@sqs(app_or_blueprint)`: called with each SQS record; a record whose handler raises is retried alone.

    The result is a partial batch response, so the event source mapping needs `ReportBatchItemFailures`.
    """
    return _recorder(target, lambda handlers, function: handlers.sqs.append(function))


def s3(target: Any) -> Callable[[Handler], Handler]:
    """`@s3(app_or_blueprint)`: called with each S3 notification record; a raise fails the invocation."""
    return _recorder(target, lambda handlers, function: handlers.s3.append(function))


def dynamodb(target: Any) -> Callable[[Handler], Handler]:
    """`@dynamodb(app_or_blueprint)`: called with each DynamoDB Streams record, in order.

    The first record whose handler raises ends the batch: it and those after it are retried (the result is a
    partial batch response by sequence number, so the mapping needs `ReportBatchItemFailures`).
    """
    return _recorder(target, lambda handlers, function: handlers.dynamodb.append(function))


def eventbridge(
    target: Any, *, source: str | None = None, detail_type: str | None = None
) -> Callable[[Handler], Handler]:
    """`@eventbridge(app_or_blueprint, source=..., detail_type=...)`: called with each matching EventBridge event."""
    return _recorder(
        target,
        lambda handlers, function: handlers.eventbridge.append(EventBridgeHandler(source, detail_type, function)),
    )


def invoke(target: Any) -> Callable[[Handler], Handler]:
    """`@invoke(app_or_blueprint)`: called with a direct invoke's payload; what it returns (JSON) is the result.

    It gets every JSON object that is no HTTP, command, SQS, S3, DynamoDB Streams or EventBridge event.
    """

    def add(handlers: Handlers, function: RecordHandler) -> None:
        if handlers.invoke is not None and handlers.invoke is not function:
            raise ValueError(f"the app has an invoke handler already ({_name(handlers.invoke)})")
        handlers.invoke = function

    return _recorder(target, add)


def handlers_of(app: Any) -> Handlers:
    """The app's handlers, created on first use."""
    handlers: Handlers = app.extensions.setdefault(EXTENSION, Handlers())
    return handlers


def _recorder(target: Any, add: Callable[[Handlers, RecordHandler], None]) -> Callable[[Handler], Handler]:
    from flask import Blueprint, Flask

    if not isinstance(target, Blueprint | Flask):
        raise TypeError(f"handlers are registered on a Flask app or Blueprint, not a {type(target).__name__}")

    def decorator(function: Handler) -> Handler:
        if isinstance(target, Blueprint):
            # Added to each app the Blueprint is registered on, once, as Flask does with the Blueprint's routes.
            target.record_once(lambda state: add(handlers_of(state.app), function))
        else:
            add(handlers_of(target), function)
        return function

    return decorator


def handle(app: Any, event: dict[str, Any], request_id: str) -> Any:
    """Run the app's handlers for the event and return the result; `UNHANDLED` if none takes it."""
    extensions = getattr(app, "extensions", None)  # a plain WSGI app has none
    handlers = extensions.get(EXTENSION) if isinstance(extensions, dict) else None
    if not isinstance(handlers, Handlers):
        return UNHANDLED
    records = event.get("Records")
    if isinstance(records, list) and records and all(isinstance(record, dict) for record in records):
        origin = records[0].get("eventSource")
        if origin == "aws:sqs" and handlers.sqs:
            return _sqs(app, handlers.sqs, records, request_id)
        if origin == "aws:s3" and handlers.s3:
            for record in records:
                _run(app, handlers.s3, record)
            return None
        if origin == "aws:dynamodb" and handlers.dynamodb:
            return _dynamodb(app, handlers.dynamodb, records, request_id)
        return UNHANDLED  # records of a kind the app takes no handler for are never a direct invoke's payload
    if isinstance(event.get("detail-type"), str) and isinstance(event.get("source"), str) and "detail" in event:
        wanted = [handler.function for handler in handlers.eventbridge if handler.wants(event)]
        if not wanted:
            return UNHANDLED
        _run(app, wanted, event)
        return None
    if handlers.invoke is None:
        return UNHANDLED
    with app.app_context():
        result = handlers.invoke(event)
    try:
        json.dumps(result)
    except (TypeError, ValueError) as error:
        # Said here rather than as the runtime's bare Runtime.MarshalError.
        raise TypeError(f"the invoke handler {_name(handlers.invoke)} returned what is not JSON: {error}") from None
    return result


def _run(app: Any, functions: list[RecordHandler], record: dict[str, Any]) -> None:
    with app.app_context():
        for function in functions:
            function(record)


def _sqs(app: Any, functions: list[RecordHandler], records: list[dict[str, Any]], request_id: str) -> dict[str, Any]:
    failures: list[dict[str, str]] = []
    # A FIFO queue keeps its order only if nothing after a failed message is processed before it.
    fifo = str(records[0].get("eventSourceARN", "")).endswith(".fifo")
    for record in records:
        message_id = str(record.get("messageId", ""))
        if fifo and failures:
            failures.append({"itemIdentifier": message_id})
            continue
        try:
            _run(app, functions, record)
        except Exception:
            logger.error(
                "the SQS message %s (request id %s) failed; it will be retried", message_id, request_id, exc_info=True
            )
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def _dynamodb(
    app: Any, functions: list[RecordHandler], records: list[dict[str, Any]], request_id: str
) -> dict[str, Any]:
    for record in records:
        change = record.get("dynamodb")
        sequence = str(change.get("SequenceNumber", "")) if isinstance(change, dict) else ""
        try:
            _run(app, functions, record)
        except Exception:
            # Lambda retries from this sequence number on: the records after it would run twice.
            logger.error(
                "the DynamoDB Streams record %s (request id %s) failed; it and the records after it will be retried",
                sequence,
                request_id,
                exc_info=True,
            )
            return {"batchItemFailures": [{"itemIdentifier": sequence}]}
    return {"batchItemFailures": []}


def _name(function: Callable[..., Any]) -> str:
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', repr(function))}"
