"""Who is calling: the authorizer's findings under documented environ keys, for every event kind that has them."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_wsgi import Adapter
from tests.conftest import lambda_context, load_event
from tests.layer.conftest import json_body


def whoami(adapter: Adapter, fixture: str, **changes: Any) -> dict[str, Any]:
    event = load_event(fixture)
    if "rawPath" in event:
        event["rawPath"] = "/whoami"
        event["requestContext"]["http"]["method"] = "GET"
    else:
        event["path"], event["httpMethod"] = "/whoami", "GET"
        event["requestContext"]["path"] = "/Prod/whoami"
    event["requestContext"].update(changes)
    result = dict(adapter(event, lambda_context()))
    assert result["statusCode"] == 200, result
    seen: dict[str, Any] = json_body(result)
    return seen


IAM_CALLER = {
    "userArn": "arn:aws:sts::111122223333:assumed-role/reader/caller",
    "accountId": "111122223333",
    "accessKey": "ASIAIOSFODNN7EXAMPLE",
    "callerId": "AROA3XFRBF535PLBIFPI4:caller",
    "userId": "AROA3XFRBF535PLBIFPI4:caller",
    "principalOrgId": "o-a1b2c3d4e5",
}


def test_jwt_claims_and_scopes_of_an_http_api(adapter: Adapter) -> None:
    seen = whoami(adapter, "http_api_v2")
    assert seen["claims"] == {"sub": "user-42", "email": "ada@example.com"}
    assert (seen["scopes"], seen["remote_user"]) == ([], "user-42")
    assert seen["iam"] is None
    scoped = {"jwt": {"claims": {"sub": "svc", "scope": "users:read users:write"}, "scopes": ["users:read"]}}
    assert whoami(adapter, "http_api_v2", authorizer=scoped)["scopes"] == ["users:read"]


@pytest.mark.parametrize(("fixture", "caller"), [("http_api_v2_iam", IAM_CALLER), ("rest_api_v1_iam", IAM_CALLER)])
def test_an_iam_caller_of_an_http_or_rest_api(adapter: Adapter, fixture: str, caller: dict[str, str]) -> None:
    seen = whoami(adapter, fixture)
    assert seen["iam"] == caller
    assert (seen["remote_user"], seen["claims"]) == (caller["userArn"], None)


def test_an_iam_caller_of_a_function_url(adapter: Adapter) -> None:
    seen = whoami(adapter, "function_url")
    assert seen["iam"] == {
        "userArn": "arn:aws:iam::111122223333:user/example-user",
        "accountId": "111122223333",
        "accessKey": "AKIAIOSFODNN7EXAMPLE",
        "callerId": "AIDACKCEVSQ6C2EXAMPLE",
        "userId": "AIDACOSFODNN7EXAMPLE2",
        "principalOrgId": None,
    }
    assert seen["remote_user"] == "arn:aws:iam::111122223333:user/example-user"


def test_a_cognito_user_pool_caller_of_a_rest_api(adapter: Adapter) -> None:
    seen = whoami(adapter, "rest_api_v1_cognito")
    assert seen["claims"]["cognito:username"] == "ada"
    assert (seen["remote_user"], seen["scopes"], seen["iam"]) == ("3f8e4b52-7c1d-4e8a-9b0f-1a2b3c4d5e6f", [], None)


def test_jwt_claims_of_an_http_api_in_payload_1_0(adapter: Adapter) -> None:
    seen = whoami(adapter, "http_api_v1", authorizer={"claims": {"sub": "user-7"}, "scopes": ["read"]})
    assert (seen["claims"], seen["scopes"], seen["remote_user"]) == ({"sub": "user-7"}, ["read"], "user-7")
    # The fixture as AWS sends it without a JWT authorizer: claims and scopes null, nobody identified.
    assert whoami(adapter, "http_api_v1") == {
        "remote_user": None,
        "claims": None,
        "scopes": None,
        "iam": None,
        "authorizer_context": None,
    }


def test_a_lambda_authorizers_context(adapter: Adapter) -> None:
    seen = whoami(adapter, "http_api_v2_lambda_authorizer")
    assert seen["authorizer_context"] == {"tenant": "acme", "plan": "pro", "userId": 42}
    assert seen["remote_user"] is None  # payload 2.0 names no principal
    seen = whoami(adapter, "rest_api_v1_lambda_authorizer")
    assert seen["authorizer_context"] == {"tenant": "acme", "plan": "pro"}
    assert seen["remote_user"] == "user|a1b2c3"


@pytest.mark.parametrize("fixture", ["rest_api_v1", "alb_single"])
def test_no_authorizer_no_identity(adapter: Adapter, fixture: str) -> None:
    event = load_event(fixture)
    event["path"], event["httpMethod"] = "/echo", "GET"
    environ = json_body(dict(adapter(event, lambda_context())))["environ"]
    assert not {"REMOTE_USER", "aws.jwt_claims", "aws.iam_principal", "aws.authorizer_context"} & set(environ)


@pytest.mark.parametrize(
    ("fixture", "authorizer", "named"),
    [
        ("http_api_v2", {"jwt": {"claims": "sub=x"}}, "requestContext.authorizer.jwt.claims"),
        ("http_api_v2", {"jwt": {"claims": {}, "scopes": "read"}}, "requestContext.authorizer.jwt.scopes"),
        ("http_api_v2", {"iam": {"userArn": 7}}, "requestContext.authorizer.iam.userArn"),
        ("rest_api_v1", {"claims": ["sub"]}, "requestContext.authorizer.claims"),
    ],
)
def test_an_authorizer_of_the_wrong_shape_is_a_400_that_names_it(
    adapter: Adapter, fixture: str, authorizer: dict[str, Any], named: str
) -> None:
    event = load_event(fixture)
    event["requestContext"]["authorizer"] = authorizer
    result = dict(adapter(event, lambda_context()))
    assert result["statusCode"] == 400
    assert named in json_body(result)["message"]
