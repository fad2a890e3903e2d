"""The real users API (api/routes.py) served from its zips, over HTTP, against a DynamoDB given by endpoint.

The contract is the API's own (user objects, 201 + Location, exact paging); here it is checked end to end.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from table import TABLE_DEFINITION, TIME_TO_LIVE

from flask_lambda.moto_server import MotoServer
from tests.conftest import API_DIR
from tests.flask_lambda.conftest import Zips, serving
from tests.flask_lambda.serve.serving import Serve

pytestmark = pytest.mark.slow
TABLE = "users-serve-tests"
USER_FIELDS = {"id", "name", "email", "createdAt", "updatedAt"}


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="module")
def api_zip(zips: Zips) -> str:
    if zips.api is None:
        pytest.skip("api/routes.py does not exist yet")
    return str(zips.api)


@pytest.fixture(scope="module")
def serve(zips: Zips, api_zip: str, moto: MotoServer) -> Iterator[Serve]:
    args = ["--layer-zip", str(zips.layer), "--function-zip", api_zip, "--function-dir", str(API_DIR)]
    with serving(*args, "--dynamodb-endpoint", moto.endpoint, "--table", TABLE) as running:
        yield running


def _email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


def _create(serve: Serve, name: str = "Ada Lovelace") -> dict[str, Any]:
    reply = serve.json_request("POST", "/users", {"name": name, "email": _email()})
    assert reply.status == 201, reply.body
    user: dict[str, Any] = reply.json()
    return user


def _walk(serve: Serve, limit: int) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    token: str | None = None
    for _ in range(1000):
        query = f"limit={limit}" + (f"&nextToken={quote(token, safe='')}" if token else "")
        reply = serve.request("GET", f"/users?{query}")
        assert reply.status == 200, reply.body
        page = reply.json()
        assert set(page) == {"items", "nextToken"}
        pages.append(page["items"])
        token = page["nextToken"]
        if token is None:
            return pages
    raise AssertionError("the listing never ended")


def test_the_table_is_created_from_the_shared_definition(serve: Serve, moto: MotoServer) -> None:
    credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
    client = boto3.client("dynamodb", endpoint_url=moto.endpoint, region_name="us-east-1", **credentials)
    table = client.describe_table(TableName=TABLE)["Table"]
    assert table["KeySchema"] == TABLE_DEFINITION["KeySchema"]
    assert table.get("GlobalSecondaryIndexes", []) == TABLE_DEFINITION.get("GlobalSecondaryIndexes", []) == []
    # The project's definition carries the TTL too, which serve turns on once the table exists, as Terraform does.
    ttl = client.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", TIME_TO_LIVE["AttributeName"])


def test_create_read_update_delete(serve: Serve) -> None:
    email = _email()
    created = serve.json_request("POST", "/users", {"name": "Grace Hopper", "email": email})
    assert created.status == 201, created.body
    assert created.header("Content-Type") == "application/json"
    user = created.json()
    assert set(user) == USER_FIELDS
    assert (user["name"], user["email"]) == ("Grace Hopper", email)
    location = created.header("Location")
    assert location is not None
    assert location.endswith(f"/users/{user['id']}")

    fetched = serve.request("GET", f"/users/{quote(user['id'], safe='')}")
    assert fetched.status == 200
    assert fetched.json() == user

    patched = serve.json_request("PATCH", f"/users/{quote(user['id'], safe='')}", {"name": "Rear Admiral Hopper"})
    assert patched.status == 200, patched.body
    changed = patched.json()
    assert changed["name"] == "Rear Admiral Hopper"
    assert (changed["id"], changed["email"], changed["createdAt"]) == (user["id"], email, user["createdAt"])
    assert changed["updatedAt"] >= user["updatedAt"]

    deleted = serve.request("DELETE", f"/users/{quote(user['id'], safe='')}")
    assert deleted.status == 204
    assert deleted.body == b""
    missing = serve.request("GET", f"/users/{quote(user['id'], safe='')}")
    assert missing.status == 404
    assert "message" in missing.json()


def test_unicode_round_trips_and_unknown_unicode_ids_are_404(serve: Serve) -> None:
    name = "Zoë 😀 名前 «quoted»"
    user = _create(serve, name)
    assert user["name"] == name
    assert serve.request("GET", f"/users/{quote(user['id'], safe='')}").json()["name"] == name
    unknown = serve.request("GET", "/users/%E2%9C%93%20no%20such%20user")
    assert unknown.status == 404
    assert "message" in unknown.json()


def test_paging_lists_every_user_exactly_once(serve: Serve) -> None:
    created = {_create(serve, f"Pager {number}")["id"] for number in range(5)}
    pages = _walk(serve, 2)
    assert all(len(page) == 2 for page in pages[:-1])
    listed = [user["id"] for page in pages for user in page]
    assert len(listed) == len(set(listed))
    assert created <= set(listed)


def test_fifty_concurrent_creates_all_succeed_and_are_listed_once(serve: Serve) -> None:
    def create(number: int) -> tuple[int, str]:
        reply = serve.json_request("POST", "/users", {"name": f"Concurrent {number}", "email": _email()})
        return reply.status, reply.json().get("id", "")

    with ThreadPoolExecutor(max_workers=50) as executor:
        results = list(executor.map(create, range(50)))
    assert [status for status, _ in results] == [201] * 50
    listed = [user["id"] for page in _walk(serve, 100) for user in page]
    assert len(listed) == len(set(listed))
    assert {user_id for _, user_id in results} <= set(listed)


def test_an_existing_table_is_used_as_it_is(serve: Serve, zips: Zips, api_zip: str, moto: MotoServer) -> None:
    user = _create(serve, "Kept Across Runs")
    args = ["--layer-zip", str(zips.layer), "--function-zip", api_zip, "--function-dir", str(API_DIR)]
    with serving(*args, "--dynamodb-endpoint", moto.endpoint, "--table", TABLE) as second:
        assert any(f"table '{TABLE}' (existing)" in line for line in second.stdout)
        fetched = second.request("GET", f"/users/{quote(user['id'], safe='')}")
        assert fetched.status == 200
        assert fetched.json() == user


def test_a_path_no_route_takes_is_api_gateways_404_without_an_invocation(serve: Serve) -> None:
    """The project's routes (api/pyproject.toml) are the HTTP API's: / is none of them."""
    reply = serve.request("GET", "/")
    assert (reply.status, reply.json()) == (404, {"message": "Not Found"})
    assert serve.access_line(reply)["error"] == "no route matches the request"
    # A route that matches reaches the function, whose own 404 names what is missing.
    missing = serve.request("GET", "/users/no-such-id")
    assert missing.status == 404
    assert missing.json() != {"message": "Not Found"}
