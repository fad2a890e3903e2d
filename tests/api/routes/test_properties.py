"""Generated requests (bodies, content types, queries, tokens, paths) never cause a 5xx, and errors keep their shape.

Every answer also passes the OpenAPI check, and validation agrees with the document's request schemas.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from flask_lambda.moto_server import MotoServer
from lambda_wsgi import Adapter
from tests.api.conftest import Api, fresh_table
from tests.api.contract import Contract

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
whitespace_heavy = st.text(alphabet=st.sampled_from(" \t\n\r\u00a0\u2003\u3000\x1cxé😀山"), max_size=110)
names = st.text(max_size=110) | whitespace_heavy | st.just("x" * 100) | st.just("x" * 101)
emails = (
    st.emails()
    | st.text(max_size=40)
    | st.builds(lambda local, domain: f"{local}@{domain}", st.text(min_size=1, max_size=12), st.text(max_size=12))
    | st.just("a" * 243 + "@example.com")
    | st.just("a" * 242 + "@example.com")
)
field_values = names | emails | json_values
keys = st.sampled_from(["name", "email", "id", "createdAt", "Name", ""]) | st.text(max_size=10)
plausible_emails = st.emails() | st.builds(
    lambda local, domain: f"{local}@{domain}.example", st.text(min_size=1, max_size=12), st.text(min_size=1, max_size=8)
)
# Half the objects are close to valid, so both sides of every rule get exercised.
user_objects = st.one_of(
    st.fixed_dictionaries({"name": names, "email": plausible_emails}),
    st.fixed_dictionaries({}, optional={"name": names, "email": plausible_emails}),
    st.dictionaries(keys, field_values, max_size=4),
    st.fixed_dictionaries({"name": names, "email": emails}, optional={"id": json_values}),
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/xml",
        "",
        "application/json; charset=latin-1",
    ]
) | st.text(max_size=30)
raw_bodies = (
    st.binary(max_size=300) | st.text(max_size=300) | json_values.map(json.dumps) | user_objects.map(json.dumps)
)


@pytest.fixture(scope="module")
def api(moto: MotoServer, dynamodb: Any, handler: Adapter, contract: Contract) -> Api:
    """One table for the whole module: generated requests pile up users, as real traffic would."""
    fresh_table(moto, dynamodb)
    return Api(handler, contract)


@pytest.fixture(scope="module")
def someone(api: Api) -> dict[str, Any]:
    return api.create("Someone", "someone@example.com")


def assert_sound(status: int, body: str) -> None:
    event(f"status {status}")  # shown by --hypothesis-show-statistics
    assert status < 500, body
    if status >= 400:
        error = json.loads(body)
        assert isinstance(error["message"], str)
        assert error["message"]
        assert set(error) <= {"message", "errors"}
        assert all(isinstance(value, str) for value in error.get("errors", {}).values())


@SETTINGS
@given(body=raw_bodies, content_type=content_types, patch=st.booleans())
def test_any_body_and_content_type(
    api: Api, someone: dict[str, Any], body: str | bytes, content_type: str, patch: bool
) -> None:
    method, path = ("PATCH", f"/users/{someone['id']}") if patch else ("POST", "/users")
    reply = api.request(method, path, body=body, content_type=content_type or None)
    assert_sound(reply.status, reply.body)
    assert reply.status in {200, 201, 400, 409, 413, 415}


@SETTINGS
@given(body=user_objects)
def test_validation_follows_the_documented_request_schema_on_post(
    api: Api, contract: Contract, body: dict[str, Any]
) -> None:
    reply = api.post("/users", body)
    assert_sound(reply.status, reply.body)
    documented = contract.is_valid(body, "/components/schemas/NewUser")
    assert (reply.status != 400) is documented, (body, reply.body)
    assert reply.status in ({201, 409} if documented else {400})


@SETTINGS
@given(body=user_objects)
def test_validation_follows_the_documented_request_schema_on_patch(
    api: Api, contract: Contract, someone: dict[str, Any], body: dict[str, Any]
) -> None:
    reply = api.patch(f"/users/{someone['id']}", body)
    assert_sound(reply.status, reply.body)
    documented = contract.is_valid(body, "/components/schemas/UserChanges")
    assert (reply.status != 400) is documented, (body, reply.body)
    if reply.status == 200:
        someone.update(reply.json())  # keep the fixture's id; names and addresses may have changed


tokens = (
    st.text(max_size=60)
    | st.binary(max_size=80).map(lambda data: __import__("base64").urlsafe_b64encode(data).decode())
    | st.builds(
        lambda a, b: f"{a}.{b}", st.text(alphabet="ABCdef0123-_", max_size=60), st.text(alphabet="xyZ9-_", max_size=50)
    )
)
query_values = st.text(max_size=12) | st.integers(-10, 1000).map(str) | st.just("100") | st.just("1")


@SETTINGS
@given(
    limit=st.none() | query_values,
    token=st.none() | tokens,
    extra=st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=2),
)
def test_any_list_query(api: Api, limit: str | None, token: str | None, extra: dict[str, str]) -> None:
    parameters: list[tuple[str, str]] = list(extra.items())
    if limit is not None:
        parameters.append(("limit", limit))
    if token is not None:
        parameters.append(("nextToken", token))
    reply = api.get("/users", urlencode(parameters))
    assert_sound(reply.status, reply.body)
    assert reply.status in {200, 400}


@SETTINGS
@given(
    user_id=st.text(min_size=1, max_size=600),
    method=st.sampled_from(["GET", "PATCH", "DELETE", "POST", "PUT", "HEAD", "OPTIONS"]),
    body=st.none() | user_objects.map(json.dumps),
)
@example(user_id="0\n0", method="GET", body=None)  # a newline inside the id is still one path segment
@example(user_id="0\n", method="DELETE", body=None)
def test_any_user_path(api: Api, user_id: str, method: str, body: str | None) -> None:
    reply = api.request(method, f"/users/{user_id}", body=body)
    assert reply.status in {200, 204, 400, 404, 405, 409, 415}
    if method != "HEAD":  # HEAD has GET's status and no body
        assert_sound(reply.status, reply.body)


@pytest.fixture(scope="module")
def real_token(api: Api) -> str:
    for n in range(3):
        api.create(f"Paged {n}", f"paged{n}@example.com")
    token: str = api.get("/users", "limit=1").json()["nextToken"]
    return token


@SETTINGS
@given(
    operation=st.sampled_from(["replace", "insert", "delete", "truncate", "swap"]),
    position=st.integers(min_value=0),
    char=st.characters(codec="utf-8"),
)
def test_any_change_to_a_real_token_is_400(api: Api, real_token: str, operation: str, position: int, char: str) -> None:
    index = position % len(real_token)
    changed = {
        "replace": real_token[:index] + char + real_token[index + 1 :],
        "insert": real_token[:index] + char + real_token[index:],
        "delete": real_token[:index] + real_token[index + 1 :],
        "truncate": real_token[:index],
        "swap": real_token[:index]
        + real_token[index + 1 : index + 2]
        + real_token[index : index + 1]
        + real_token[index + 2 :],
    }[operation]
    reply = api.get("/users", urlencode({"limit": "2", "nextToken": changed}))
    assert_sound(reply.status, reply.body)
    assert reply.status == (200 if changed == real_token else 400), changed
