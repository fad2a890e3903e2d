"""serve playing a route authorizer: the identity every event carries, and API Gateway's answer without one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flask_lambda.serve.authorizer import AuthorizerError, iam_authorizer, jwt_authorizer
from tests.flask_lambda.conftest import Zips, serving

ROLE = "arn:aws:sts::123456789012:assumed-role/reader/ada"
CLAIMS = {"sub": "user-42", "email": "ada@example.com", "scope": "users:read users:write"}


def test_jwt_claims_come_from_json_or_a_file(tmp_path: Path) -> None:
    from_json = jwt_authorizer(json.dumps(CLAIMS))
    file = tmp_path / "claims.json"
    file.write_text(json.dumps(CLAIMS))
    assert jwt_authorizer(str(file)) == from_json
    assert from_json.context == {"jwt": {"claims": CLAIMS, "scopes": ["users:read", "users:write"]}}
    assert jwt_authorizer('{"sub": "x"}').context["jwt"]["scopes"] is None  # no scope claim: null, as AWS sends


@pytest.mark.parametrize(
    ("given", "said"),
    [("[1, 2]", "must be a JSON object"), ("{not json", "not a JSON object"), ("/no/such/claims.json", "cannot read")],
)
def test_unusable_jwt_claims_are_refused(given: str, said: str) -> None:
    with pytest.raises(AuthorizerError, match=said):
        jwt_authorizer(given)


def test_the_iam_caller_is_named_by_its_arn() -> None:
    iam = iam_authorizer(ROLE).context["iam"]
    assert (iam["userArn"], iam["accountId"]) == (ROLE, "123456789012")
    assert set(iam) == {"accessKey", "accountId", "callerId", "cognitoIdentity", "principalOrgId", "userArn", "userId"}
    with pytest.raises(AuthorizerError, match="expected an IAM or STS ARN"):
        iam_authorizer("ada")


@pytest.mark.parametrize(
    ("authorization", "refused"),
    [(None, True), ("Basic YWRhOng=", True), ("Bearer", True), ("Bearer eyJhbGciOi", False), ("bearer x", False)],
)
def test_a_jwt_route_needs_a_bearer_token(authorization: str | None, refused: bool) -> None:
    headers = [("Authorization", authorization)] if authorization else []
    refusal = jwt_authorizer("{}").refuses(headers)
    assert (refusal is not None) is refused
    if refusal is not None:
        assert (refusal.status, json.loads(refusal.body)) == (401, {"message": "Unauthorized"})
        assert ("www-authenticate", "Bearer") in refusal.headers


def test_an_iam_route_needs_a_sigv4_signature() -> None:
    signed = [("authorization", "AWS4-HMAC-SHA256 Credential=ASIA/20261206/us-east-1/execute-api/aws4_request")]
    assert iam_authorizer(ROLE).refuses(signed) is None
    refusal = iam_authorizer(ROLE).refuses([("authorization", "Bearer x")])
    assert refusal is not None
    assert (refusal.status, json.loads(refusal.body)) == (403, {"message": "Forbidden"})


@pytest.mark.slow
def test_serve_gives_every_event_the_callers_identity(zips: Zips, tmp_path: Path) -> None:
    claims_file = tmp_path / "claims.json"
    claims_file.write_text(json.dumps(CLAIMS))
    base = ["--layer-zip", str(zips.layer), "--function-zip", str(zips.echo), "--concurrency", "1"]
    with serving(*base, "--jwt-claims", str(claims_file)) as serve:
        assert serve.request("GET", "/event").status == 401
        reply = serve.request("GET", "/event", headers=[("Authorization", "Bearer a.b.c")])
        assert reply.status == 200
        authorizer = reply.json()["event"]["requestContext"]["authorizer"]
        assert authorizer == {"jwt": {"claims": CLAIMS, "scopes": ["users:read", "users:write"]}}
    with serving(*base, "--iam-principal", ROLE) as serve:
        assert serve.request("GET", "/event").status == 403
        reply = serve.request("GET", "/event", headers=[("Authorization", "AWS4-HMAC-SHA256 Credential=x")])
        assert reply.json()["event"]["requestContext"]["authorizer"]["iam"]["userArn"] == ROLE


@pytest.mark.slow
def test_without_a_flag_no_authorization_is_asked_for(zips: Zips) -> None:
    base = ["--layer-zip", str(zips.layer), "--function-zip", str(zips.echo), "--concurrency", "1"]
    with serving(*base) as serve:
        reply = serve.request("GET", "/event")
        assert reply.status == 200
        assert "authorizer" not in reply.json()["event"]["requestContext"]
