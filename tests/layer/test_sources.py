"""Event kinds are recognised by shape; anything that is not HTTP fails with one clear error."""

from __future__ import annotations

import pytest

from lambda_wsgi.errors import BadEventError, UnsupportedEventError
from lambda_wsgi.sources import find_source, sources
from tests.conftest import load_event


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("http_api_v2", "http-api-v2"),
        ("http_api_v2_named_stage", "http-api-v2"),
        ("function_url", "function-url"),
        ("rest_api_v1", "rest-api-v1"),
        ("http_api_v1", "rest-api-v1"),
        ("alb_single", "alb"),
        ("alb_multi", "alb"),
        ("malformed_v2_no_context", "http-api-v2"),
        ("http_api_v2_iam", "http-api-v2"),
        ("http_api_v2_lambda_authorizer", "http-api-v2"),
        ("rest_api_v1_iam", "rest-api-v1"),
        ("rest_api_v1_cognito", "rest-api-v1"),
        ("rest_api_v1_lambda_authorizer", "rest-api-v1"),
    ],
)
def test_each_http_event_kind_is_recognised(fixture: str, kind: str) -> None:
    assert find_source(load_event(fixture), sources()).name == kind


@pytest.mark.parametrize(
    ("fixture", "named"),
    [
        ("sqs", "aws:sqs event"),
        ("s3", "aws:s3 event"),
        ("schedule", "EventBridge event (aws.events, 'Scheduled Event')"),
        ("direct_invoke", "keys: key1, key2, key3"),
    ],
)
def test_non_http_events_name_what_arrived_and_what_is_accepted(fixture: str, named: str) -> None:
    with pytest.raises(UnsupportedEventError) as error:
        find_source(load_event(fixture), sources())
    assert named in str(error.value)
    assert "HTTP API" in str(error.value)
    assert "Application Load Balancer" in str(error.value)


@pytest.mark.parametrize("event", ["text", 42, None, [1, 2]])
def test_an_event_that_is_not_an_object_is_a_bad_request(event: object) -> None:
    with pytest.raises(BadEventError, match="JSON object"):
        find_source(event, sources())
