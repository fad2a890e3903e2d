"""Who may call the deployed API, from real `terraform plan` runs offline: the authorization modes, their validation,
the invoke policy's route ARNs and CORS.

Plans have no state, so the API's id (and every ARN made from it) is unknown here; test_deploy reads them back
from moto after an apply.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.infra import code_facts
from tests.infra.hcl import load
from tests.infra.terraform import Offline

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
CLIENT_ID = "4example0client0id0abcdefgh"
JWT = ("-var=authorization=JWT", f"-var=jwt_issuer={ISSUER}", f'-var=jwt_audience=["{CLIENT_ID}"]')
ORIGIN = "https://app.example.com"
SIGV4_HEADERS = {"x-amz-date", "x-amz-security-token", "x-amz-content-sha256"}


def _resources(plan: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The planned `after` values of every resource of `kind`, by address."""
    return {
        change["address"]: change["change"]["after"]
        for change in plan["resource_changes"]
        if change["type"] == kind and change["change"]["actions"] == ["create"]
    }


def _routes(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {after["route_key"]: after for after in _resources(plan, "aws_apigatewayv2_route").values()}


def _unknown(plan: dict[str, Any], address: str) -> dict[str, Any]:
    (change,) = [item["change"] for item in plan["resource_changes"] if item["address"] == address]
    unknown: dict[str, Any] = change["after_unknown"]
    return unknown


def _cors(plan: dict[str, Any]) -> list[dict[str, Any]]:
    (api,) = _resources(plan, "aws_apigatewayv2_api").values()
    cors: list[dict[str, Any]] = api["cors_configuration"]
    return cors


ORIGINS = [ORIGIN, "http://localhost:5173"]
JWT_SCOPES = {"DELETE /users/{proxy+}": ["users/admin"], "POST /users": ["users/write", "users/admin"]}


@pytest.fixture(scope="module")
def default_plan(offline: Offline) -> dict[str, Any]:
    return offline.plan()


# One plan per mode, each with CORS on (a plan takes seconds).
@pytest.fixture(scope="module")
def iam_plan(offline: Offline) -> dict[str, Any]:
    return offline.plan(f"-var=cors_allow_origins={json.dumps(ORIGINS)}")


@pytest.fixture(scope="module")
def jwt_plan(offline: Offline) -> dict[str, Any]:
    return offline.plan(
        *JWT, f"-var=jwt_route_scopes={json.dumps(JWT_SCOPES)}", f"-var=cors_allow_origins={json.dumps(ORIGINS)}"
    )


@pytest.fixture(scope="module")
def open_plan(offline: Offline) -> dict[str, Any]:
    return offline.plan("-var=authorization=NONE", '-var=cors_allow_origins=["*"]')


BAD_SETTINGS = {
    "unknown mode": (("-var=authorization=BASIC",), ["authorization must be AWS_IAM (SigV4-signed requests), JWT"]),
    "lowercase mode": (("-var=authorization=aws_iam",), ["authorization must be AWS_IAM"]),
    "JWT alone": (
        ("-var=authorization=JWT",),
        ['jwt_issuer is required with authorization = "JWT"', "jwt_audience must list at least one audience"],
    ),
    "JWT over http": (
        ("-var=authorization=JWT", "-var=jwt_issuer=http://issuer.example.com", JWT[2]),
        ["jwt_issuer must be an https:// URL"],
    ),
    "JWT empty audience": ((*JWT[:2], '-var=jwt_audience=[""]'), ["jwt_audience must list at least one audience"]),
    "JWT settings without JWT": (
        (f"-var=jwt_issuer={ISSUER}", f'-var=jwt_audience=["{CLIENT_ID}"]'),
        ["jwt_issuer is required", "must be null otherwise", "and must be empty otherwise"],
    ),
    "scopes without JWT": (
        ('-var=jwt_route_scopes={"GET /users" = ["users/read"]}',),
        ['jwt_route_scopes only applies with authorization = "JWT"'],
    ),
    "scopes of an unknown route": (
        (*JWT, '-var=jwt_route_scopes={"GET /people" = ["users/read"]}'),
        ["Every key of jwt_route_scopes must be one of the routes"],
    ),
    "empty or spaced scopes": (
        (*JWT, '-var=jwt_route_scopes={"GET /users" = [], "POST /users" = ["users write"]}'),
        ["needs at least one scope, and a scope is printable ASCII without spaces"],
    ),
    "origin with a path": (
        (f'-var=cors_allow_origins=["{ORIGIN}/"]',),
        ["Each CORS origin must be a lowercase https://"],
    ),
    "plain http origin": (('-var=cors_allow_origins=["http://app.example.com"]',), ["Each CORS origin must be"]),
    "star and origins": (
        (f'-var=cors_allow_origins=["*", "{ORIGIN}"]',),
        ['"*" allows every origin, so it must be the only entry'],
    ),
    "CORS with ANY": (
        (f'-var=cors_allow_origins=["{ORIGIN}"]', '-var=routes=["ANY /users"]'),
        ["every route must name its method", "preflight OPTIONS requests"],
    ),
    "CORS with $default": (
        (f'-var=cors_allow_origins=["{ORIGIN}"]', '-var=routes=["$default"]'),
        ["every route must name its method"],
    ),
}


@pytest.mark.parametrize(("options", "messages"), BAD_SETTINGS.values(), ids=BAD_SETTINGS.keys())
def test_bad_settings_are_refused_with_the_reason(
    offline: Offline, options: tuple[str, ...], messages: list[str]
) -> None:
    refusal = offline.refusal(*options)
    for message in messages:
        assert message in refusal


def test_default_requires_sigv4_on_every_route(default_plan: dict[str, Any]) -> None:
    assert load().variables["authorization"]["default"] == "AWS_IAM"
    routes = _routes(default_plan)
    assert set(routes) == set(load().variables["routes"]["default"])
    for key, route in routes.items():
        assert route["authorization_type"] == "AWS_IAM", key
        assert route["authorizer_id"] is None, key
        assert not route["authorization_scopes"], key
    assert not _resources(default_plan, "aws_apigatewayv2_authorizer")
    (policy,) = _resources(default_plan, "aws_iam_policy").values()
    assert policy["name"] == "flask-users-api-invoke"
    assert _unknown(default_plan, "module.function.aws_iam_policy.invoke[0]")["policy"] is True, (
        "made from the API's ARN"
    )
    assert default_plan["planned_values"]["outputs"]["authorization"]["value"] == "AWS_IAM"


def test_invoke_policy_names_each_route_and_nothing_more(offline_module: Offline) -> None:
    """The stage, method and path of each route's execute-api ARN (the API's own ARN comes first): the module's
    routes_invoke_paths with infra/'s routes, and with others."""
    routes = json.dumps(load().variables["routes"]["default"])
    assert offline_module.evaluate("local.route_invoke_paths", f"-var=routes={routes}") == [
        "$default/GET/users",
        "$default/POST/users",
        "$default/GET/users/*",
        "$default/PATCH/users/*",
        "$default/DELETE/users/*",
        "$default/GET/openapi.json",
    ]
    routes = '-var=routes=["ANY /a/{id}/b", "GET /", "OPTIONS /x/{proxy+}", "$default"]'
    assert offline_module.evaluate("local.route_invoke_paths", routes) == [
        "$default/*/a/*/b",
        "$default/GET/",
        "$default/OPTIONS/x/*",
        "$default/*/*",
    ]


def test_jwt_checks_tokens_of_the_issuer_on_every_route(jwt_plan: dict[str, Any]) -> None:
    plan = jwt_plan
    (authorizer,) = _resources(plan, "aws_apigatewayv2_authorizer").values()
    assert authorizer["authorizer_type"] == "JWT"
    assert authorizer["identity_sources"] == ["$request.header.Authorization"]
    assert authorizer["jwt_configuration"] == [{"issuer": ISSUER, "audience": [CLIENT_ID]}]
    assert authorizer["name"] == "flask-users-http-jwt"  # named after the API
    routes = _routes(plan)
    assert set(routes) == set(load().variables["routes"]["default"])
    for key, route in routes.items():
        assert route["authorization_type"] == "JWT", key
        # The authorizer's id, known once it exists.
        assert _unknown(plan, f'module.function.aws_apigatewayv2_route.this["{key}"]')["authorizer_id"] is True, key
    assert sorted(routes["DELETE /users/{proxy+}"]["authorization_scopes"]) == ["users/admin"]
    assert sorted(routes["POST /users"]["authorization_scopes"]) == ["users/admin", "users/write"]
    assert not routes["GET /users"]["authorization_scopes"]
    assert not _resources(plan, "aws_iam_policy"), "no invoke policy without AWS_IAM"
    outputs = plan["planned_values"]["outputs"]
    assert outputs["authorization"]["value"] == "JWT"
    assert outputs["invoke_policy_arn"].get("value") is None


def test_none_opens_every_route_only_when_asked(open_plan: dict[str, Any]) -> None:
    plan = open_plan
    routes = _routes(plan)
    assert {route["authorization_type"] for route in routes.values()} == {"NONE"}
    assert not _resources(plan, "aws_apigatewayv2_authorizer")
    assert not _resources(plan, "aws_iam_policy")


def test_no_cors_configuration_by_default(default_plan: dict[str, Any]) -> None:
    assert load().variables["cors_allow_origins"]["default"] == []
    assert _cors(default_plan) == []


def _openapi_response_headers() -> set[str]:
    """The response headers api/openapi.json declares (Location, Retry-After): none of them is CORS-safelisted."""
    document = json.loads((ROOT / "api" / "openapi.json").read_text(encoding="utf-8"))
    responses = [
        response
        for path in document["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict)
        for response in operation.get("responses", {}).values()
    ]
    responses += document["components"].get("responses", {}).values()
    return {name.lower() for response in responses for name in response.get("headers", {})}


@pytest.mark.parametrize(
    ("mode", "credential_headers"),
    [("iam_plan", {"authorization", *SIGV4_HEADERS}), ("jwt_plan", {"authorization"}), ("open_plan", set())],
    ids=["AWS_IAM", "JWT", "NONE"],
)
def test_cors_allows_the_origins_and_what_the_api_uses(
    request: pytest.FixtureRequest, mode: str, credential_headers: set[str]
) -> None:
    plan: dict[str, Any] = request.getfixturevalue(mode)
    (cors,) = _cors(plan)
    assert sorted(cors["allow_origins"]) == (["*"] if mode == "open_plan" else sorted(ORIGINS))
    views = code_facts.flask_routes(ROOT / "api" / "routes.py")
    assert set(cors["allow_methods"]) == {method for method, _ in views}
    assert set(cors["allow_headers"]) == {"content-type", *credential_headers}
    assert set(cors["expose_headers"]) == _openapi_response_headers() == {"location", "retry-after"}
    # Cookies are never used, so no credentialed requests; a preflight is cached for an hour.
    assert not cors["allow_credentials"]
    assert cors["max_age"] == 3600
    # Preflights never reach a route: every route names its method, none is OPTIONS.
    assert all(key.split(" ")[0] not in {"ANY", "OPTIONS", "$default"} for key in _routes(plan))
