"""Fixtures for the users API: one moto server for tests/api, a fresh table per test, the layer's handler.

The API runs as on Lambda: `Adapter(load_app("routes:routes"))` called with HTTP API 2.0 events.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any
from urllib.parse import quote

import boto3
import page_token
import pytest
import routes
import storage
import table
import validation
from awslambdaric.lambda_context import LambdaContext

from flask_lambda.moto_server import MotoServer
from lambda_wsgi import Adapter
from lambda_wsgi.app_loader import app_for_blueprint
from tests.api.contract import Contract
from tests.api.faults import Faults
from tests.conftest import API_DIR, http_event, lambda_context

JSON = "application/json"


TABLE_NAME = "users-test"
PAGE_TOKEN_KEY = "test-page-token-key-0123456789-abcdefghijklmnop"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lowercase names
    body: str
    result: dict[str, Any]
    request_id: str  # the Lambda request id the handler was invoked with

    def json(self) -> Any:
        return json.loads(self.body)


class Api:
    """Calls the Lambda handler the way API Gateway does and checks every answer against the contract.

    Each invocation's context gives the handler `timeout_seconds` from the moment it is called.
    """

    def __init__(
        self, handler: Any, contract: Contract, timeout_seconds: float = 30, authorizer: dict[str, Any] | None = None
    ) -> None:
        self.handler = handler
        self.contract = contract
        self.timeout_seconds = timeout_seconds
        # What API Gateway's authorizer says about the caller (requestContext.authorizer); None: the event's own, a
        # JWT whose subject is EVENT_SUBJECT; {}: no authorizer at all.
        self.authorizer = authorizer

    def as_caller(self, authorizer: dict[str, Any]) -> Api:
        """The same API, called by someone else (see `jwt_caller` and `iam_caller`)."""
        return Api(self.handler, self.contract, self.timeout_seconds, authorizer)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: str | bytes | None = None,
        query: str = "",
        content_type: str | None = JSON,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        if json_body is not None:
            body = json.dumps(json_body)
        sent_type = content_type if body is not None else None
        event = http_event(
            method, quote(path, safe="/"), query=query, body=body, content_type=sent_type, headers=headers
        )
        if self.authorizer is not None:
            event["requestContext"]["authorizer"] = self.authorizer
            if not self.authorizer:
                del event["requestContext"]["authorizer"]
        context = lambda_context()
        deadline_ms = int((time.time() + self.timeout_seconds) * 1000)
        context = LambdaContext(context.aws_request_id, None, None, deadline_ms, context.invoked_function_arn)
        result = self.handler(event, context)
        assert set(result) == {"statusCode", "headers", "cookies", "body", "isBase64Encoded"}
        assert not result["isBase64Encoded"], "a JSON API answers text"
        reply = Reply(
            status=result["statusCode"],
            headers={name.lower(): value for name, value in result["headers"].items()},
            body=result["body"],
            result=result,
            request_id=context.aws_request_id,
        )
        self.contract.check(method.upper(), path, reply.status, reply.headers, reply.body)
        return reply

    def get(self, path: str, query: str = "") -> Reply:
        return self.request("GET", path, query=query)

    def post(self, path: str, json_body: Any) -> Reply:
        return self.request("POST", path, json_body=json_body)

    def patch(self, path: str, json_body: Any) -> Reply:
        return self.request("PATCH", path, json_body=json_body)

    def delete(self, path: str) -> Reply:
        return self.request("DELETE", path)

    def create(self, name: str, email: str) -> dict[str, Any]:
        reply = self.post("/users", {"name": name, "email": email})
        assert reply.status == 201, reply.body
        user: dict[str, Any] = reply.json()
        return user

    def walk(self, *limits: int) -> list[list[dict[str, Any]]]:
        """Follow nextToken to the end, using the limits in turn (cycling); the pages seen."""
        pages: list[list[dict[str, Any]]] = []
        token: str | None = None
        for step in range(10_000):
            limit = limits[step % len(limits)]
            query = f"limit={limit}" + (f"&nextToken={token}" if token else "")
            reply = self.get("/users", query)
            assert reply.status == 200, reply.body
            page = reply.json()
            pages.append(page["items"])
            token = page["nextToken"]
            if token is None:
                return pages
        raise AssertionError("the walk did not end")


# The subject of the JWT in tests/events/http_api_v2.json, which every request carries unless told otherwise.
EVENT_SUBJECT = "user-42"


def jwt_caller(subject: str | None, scopes: list[str] | None = None, **claims: str) -> dict[str, Any]:
    """An HTTP API JWT authorizer's findings: the token's claims (a `sub` unless None) and scopes."""
    found = {**claims} if subject is None else {"sub": subject, **claims}
    return {"jwt": {"claims": found, "scopes": scopes}}


def iam_caller(arn: str) -> dict[str, Any]:
    """An HTTP API IAM authorizer's findings: the SigV4 signer."""
    fields = {"accessKey": "AKIA0000000000000000", "accountId": "123456789012", "callerId": "AIDA0000000000000000"}
    return {"iam": {**fields, "principalOrgId": None, "userArn": arn, "userId": "AIDA0000000000000000"}}


@pytest.fixture(scope="package")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="package")
def api_env(moto: MotoServer) -> Iterator[dict[str, str]]:
    """The function's configuration, pointing the SDK's standard endpoint setting at moto."""
    env = {
        "USERS_TABLE": TABLE_NAME,
        "PAGE_TOKEN_KEY": PAGE_TOKEN_KEY,
        "AWS_ENDPOINT_URL_DYNAMODB": moto.endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        # Nothing from the machine's own AWS configuration.
        "AWS_CONFIG_FILE": str(API_DIR / "no-such-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(API_DIR / "no-such-credentials"),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        yield env


@pytest.fixture(scope="package")
def api_modules() -> dict[str, ModuleType]:
    """The function's modules by name, for tests that read their constants."""
    return {module.__name__: module for module in (routes, storage, validation, page_token, table)}


def users_table(endpoint: str, keys: tuple[str, ...] = (PAGE_TOKEN_KEY,)) -> storage.Users:
    """The users table behind a client of the test's own, pointed at `endpoint`."""
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=storage.CLIENT_CONFIG,
    )
    return storage.Users(client, TABLE_NAME, page_token.PageTokens(keys))


@pytest.fixture(scope="package")
def handler(moto: MotoServer) -> Adapter:
    """The Lambda handler as python-lambda-layer/main.py builds it, serving the tests' own table."""
    return Adapter(app_for_blueprint(routes.routes, routes.__name__, users=users_table(moto.endpoint)))


@pytest.fixture(scope="package")
def contract() -> Contract:
    return Contract()


@pytest.fixture(scope="package")
def dynamodb(api_env: dict[str, str]) -> Any:
    """A client of the test's own, for setting up tables and looking at raw items."""
    return boto3.client("dynamodb", endpoint_url=api_env["AWS_ENDPOINT_URL_DYNAMODB"])


def fresh_table(moto: MotoServer, dynamodb: Any) -> None:
    moto.reset()
    table.create_table(dynamodb, TABLE_NAME)


@pytest.fixture
def api(moto: MotoServer, dynamodb: Any, handler: Adapter, contract: Contract) -> Api:
    """The handler in front of an empty users table."""
    fresh_table(moto, dynamodb)
    return Api(handler, contract)


def point_storage_at(monkeypatch: pytest.MonkeyPatch, handler: Adapter, endpoint: str) -> Any:
    """Serve the handler's app from a table behind a client pointed at `endpoint`, for this test only."""
    users = users_table(endpoint)
    monkeypatch.setitem(handler.app.extensions, routes.USERS_EXTENSION, users)  # type: ignore[attr-defined]
    return users.client


@pytest.fixture
def faults(api: Api, moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Faults:
    """The API's table behind a client of its own (for this test), whose calls meet the faults queued on it."""
    return Faults(point_storage_at(monkeypatch, api.handler, moto.endpoint))
