"""The access line's text is exactly the JSON of its fields, whatever the request put in them."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambda_wsgi.access_log import log_access


@given(
    request_id=st.text(),
    method=st.text(),
    path=st.text(),
    status=st.integers(100, 599),
    seconds=st.floats(0, 900),
    start=st.sampled_from(["cold", "restore", "warm"]),
)
def test_the_text_is_the_json_of_the_fields(
    *, request_id: str, method: str, path: str, status: int, seconds: float, start: str
) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[assignment]
    logger = logging.getLogger("lambda_wsgi")
    logger.addHandler(handler)
    try:
        log_access(
            request_id=request_id,
            source="http-api-v2",
            method=method,
            path=path,
            status=status,
            duration_ms=seconds * 1000,
            start=start,
        )
    finally:
        logger.removeHandler(handler)
    (record,) = records
    line = record.msg
    assert isinstance(line, dict)
    assert record.getMessage() == json.dumps(line, separators=(",", ":"))
    assert json.loads(record.getMessage()) == {
        "type": "access",
        "requestId": request_id,
        "source": "http-api-v2",
        "method": method,
        "path": path,
        "status": status,
        "durationMs": pytest.approx(seconds * 1000, abs=0.001),
        "start": start,
    }


def test_a_logging_filter_that_edits_the_line_is_honoured_in_the_text() -> None:
    """Filters (redaction, enrichment) run before formatting: the plain-text line shows their edits."""

    def redact(record: logging.LogRecord) -> bool:
        assert isinstance(record.msg, dict)
        record.msg["path"] = "/users/<redacted>"
        record.msg["tenant"] = "acme"
        return True

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[assignment]
    handler.addFilter(redact)
    logger = logging.getLogger("lambda_wsgi")
    logger.addHandler(handler)
    try:
        log_access(
            request_id="r",
            source="http-api-v2",
            method="GET",
            path="/users/ada@example.com",
            status=200,
            duration_ms=1.0,
            start="warm",
        )
    finally:
        logger.removeHandler(handler)
    text = records[0].getMessage()
    assert "ada@example.com" not in text
    assert json.loads(text)["path"] == "/users/<redacted>"
    assert json.loads(text)["tenant"] == "acme"
