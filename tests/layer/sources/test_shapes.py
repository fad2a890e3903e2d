"""Property: an HTTP event with fields of any wrong type or shape gets a JSON answer, never an exception.

Only events that are not HTTP at all may raise (one deliberate `UnsupportedEventError`).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_wsgi import Adapter, UnsupportedEventError
from tests.conftest import lambda_context, load_event


def path_echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["PATH_INFO"].encode("latin-1")]


ADAPTER = Adapter(path_echo)
FIXTURES = [
    "http_api_v2",
    "http_api_v2_iam",
    "http_api_v2_lambda_authorizer",
    "function_url",
    "rest_api_v1",
    "rest_api_v1_iam",
    "rest_api_v1_cognito",
    "rest_api_v1_lambda_authorizer",
    "http_api_v1",
    "alb_single",
    "alb_multi",
]
EVENT_FIELDS = [
    "version",
    "rawPath",
    "rawQueryString",
    "path",
    "httpMethod",
    "headers",
    "multiValueHeaders",
    "cookies",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "body",
    "isBase64Encoded",
    "requestContext",
]
CONTEXT_FIELDS = ["http", "identity", "stage", "domainName", "path", "requestId", "elb", "authorizer"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fixture=st.sampled_from(FIXTURES),
    changes=st.dictionaries(st.sampled_from(EVENT_FIELDS), json_values, max_size=3),
    context_changes=st.dictionaries(st.sampled_from(CONTEXT_FIELDS), json_values, max_size=2),
)
def test_malformed_http_events_get_a_json_answer(
    fixture: str, changes: dict[str, Any], context_changes: dict[str, Any]
) -> None:
    event = load_event(fixture)
    event.update(changes)
    if isinstance(event.get("requestContext"), dict):
        event["requestContext"].update(context_changes)
    try:
        result = ADAPTER(event, lambda_context())
    except UnsupportedEventError:
        return  # the changes made it something other than an HTTP event
    json.dumps(result)  # what Lambda will serialise
    assert isinstance(result["statusCode"], int)
    assert result["statusCode"] < 500, result
    if result["statusCode"] >= 400:
        assert "message" in json.loads(result["body"])
