"""Exact pages over a table of 137 users: walks with every limit, and tokens that cannot be tampered with.

The table is filled once for this module; no test here changes it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from itsdangerous import URLSafeSerializer

from flask_lambda.moto_server import MotoServer
from lambda_wsgi import Adapter
from tests.api.conftest import PAGE_TOKEN_KEY, Api, fresh_table
from tests.api.contract import Contract

USERS = 137


@pytest.fixture(scope="module")
def filled(moto: MotoServer, dynamodb: Any, handler: Adapter, contract: Contract) -> tuple[Api, list[dict[str, Any]]]:
    fresh_table(moto, dynamodb)
    api = Api(handler, contract)
    return api, [api.create(f"User {n:03}", f"user{n:03}@example.com") for n in range(USERS)]


@pytest.fixture(scope="module")
def api(filled: tuple[Api, list[dict[str, Any]]]) -> Api:
    return filled[0]


@pytest.fixture(scope="module")
def users(filled: tuple[Api, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return filled[1]


def first_token(api: Api, limit: int = 7) -> str:
    token: str = api.get("/users", f"limit={limit}").json()["nextToken"]
    return token


@pytest.mark.parametrize("limit", [1, 7, 20, 100])
def test_a_walk_lists_every_user_once_in_creation_order_in_exact_pages(
    api: Api, users: list[dict[str, Any]], limit: int
) -> None:
    pages = api.walk(limit)
    assert [len(page) for page in pages[:-1]] == [limit] * (len(pages) - 1)
    assert 1 <= len(pages[-1]) <= limit
    assert len(pages) == -(-USERS // limit)
    assert [user for page in pages for user in page] == users


def test_the_default_limit_is_20(api: Api, users: list[dict[str, Any]]) -> None:
    reply = api.get("/users")
    assert reply.json()["items"] == users[:20]
    token = reply.json()["nextToken"]
    assert api.get("/users", f"nextToken={token}").json()["items"] == users[20:40]


@pytest.mark.parametrize("limits", [(3, 1, 100, 7, 20, 50), (100, 1), (1, 100), (7, 20, 1), (99, 2, 36)])
def test_the_limit_may_change_from_page_to_page(api: Api, users: list[dict[str, Any]], limits: tuple[int, ...]) -> None:
    pages = api.walk(*limits)
    for step, page in enumerate(pages[:-1]):
        assert len(page) == limits[step % len(limits)]
    assert [user for page in pages for user in page] == users


def test_a_last_page_that_is_exactly_full_ends_the_walk(api: Api, users: list[dict[str, Any]]) -> None:
    token = first_token(api, 37)
    last = api.get("/users", f"limit=100&nextToken={token}").json()
    assert last == {"items": users[37:], "nextToken": None}
    assert api.get("/users", f"limit={USERS}").status == 400  # past the maximum limit of 100


def test_a_token_can_be_followed_again_with_the_same_result(api: Api) -> None:
    token = first_token(api)
    first = api.get("/users", f"limit=5&nextToken={token}").json()
    second = api.get("/users", f"limit=5&nextToken={token}").json()
    assert first == second


def test_tokens_are_opaque_text_safe_in_a_url(api: Api) -> None:
    token = first_token(api)
    assert token.isascii()
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert len(token) <= 1024


def bad_token(api: Api, token: str) -> None:
    reply = api.request("GET", "/users", query="limit=7&nextToken=" + _quote(token))
    assert reply.status == 400, (token, reply.body)
    assert set(reply.json()["errors"]) == {"nextToken"}


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def test_every_truncation_of_a_token_is_400(api: Api) -> None:
    token = first_token(api)
    for length in range(1, len(token)):
        bad_token(api, token[:length])
        bad_token(api, token[length:])


def test_every_single_character_change_is_400(api: Api) -> None:
    token = first_token(api)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for index, char in enumerate(token):
        for replacement in {alphabet[(alphabet.find(char) + 1) % 64], alphabet[(alphabet.find(char) + 33) % 64], "="}:
            if replacement != char:
                bad_token(api, token[:index] + replacement + token[index + 1 :])


def test_spliced_and_padded_tokens_are_400(api: Api) -> None:
    first = first_token(api)
    second = api.get("/users", f"limit=7&nextToken={first}").json()["nextToken"]
    (payload_one, signature_one), (payload_two, signature_two) = first.split("."), second.split(".")
    bad_token(api, payload_two + "." + signature_one)
    bad_token(api, payload_one + "." + signature_two)
    bad_token(api, first + "=")
    bad_token(api, first + ".")
    bad_token(api, first + first)
    bad_token(api, " " + first)
    bad_token(api, payload_one)
    bad_token(api, "." + signature_one)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(payload: Any, key: str, salt: str = "users-api/page-token/v1") -> str:
    """A token as the API makes them (itsdangerous, HMAC-SHA256), with any key, salt and payload."""
    serializer = URLSafeSerializer(key, salt=salt, signer_kwargs={"digest_method": hashlib.sha256})
    return str(serializer.dumps(payload))


def test_forged_tokens_are_400(api: Api, users: list[dict[str, Any]]) -> None:
    real = first_token(api)
    payload = json.loads(base64.urlsafe_b64decode(real.split(".")[0] + "=="))
    assert forge(payload, PAGE_TOKEN_KEY) == real  # the forgery below differs only in what it changes
    skip_ahead = [users[100]["createdAt"] + "#" + users[100]["id"]]
    bad_token(api, forge(skip_ahead, "another-key-of-at-least-32-characters!!"))
    # The same position signed with the real key is a real token: only the signature stops the one above.
    assert api.get("/users", "limit=1&nextToken=" + forge(skip_ahead, PAGE_TOKEN_KEY)).json()["items"] == [users[101]]
    bad_token(api, forge(payload, "x" * 32))
    bad_token(api, forge(payload, PAGE_TOKEN_KEY, salt="itsdangerous"))  # signed for another purpose
    bad_token(
        api, _b64(json.dumps(payload).encode()) + "." + _b64(hashlib.sha256(json.dumps(payload).encode()).digest())
    )


def test_tokens_signed_with_the_key_but_not_shaped_like_a_position_are_400(
    api: Api, users: list[dict[str, Any]]
) -> None:
    position = users[3]["createdAt"] + "#" + users[3]["id"]
    for payload in (
        {"k": "v"},
        [],
        ["only one"],
        [position, users[3]["id"]],  # a position and an id, as an index key once was
        [position, position],
        [users[3]["createdAt"]],
        [users[3]["createdAt"] + "#"],
        ["#" + users[3]["id"]],
        [users[3]["id"]],
        [" " + position],
        [position + "\n"],
        [position.replace("T", " ")],
        ["USER#" + users[3]["id"]],
        ["a", "b", "c"],
        ["a", 1],
        [None, None],
        ["", ""],
        ["a", ""],
        "text",
        7,
        None,
    ):
        bad_token(api, forge(payload, PAGE_TOKEN_KEY))
    bad_token(
        api,
        _b64(b"\xff\xfe not json")
        + "."
        + _b64(
            hmac.new(PAGE_TOKEN_KEY.encode(), b"users-api/page-token/v1\n\xff\xfe not json", hashlib.sha256).digest()
        ),
    )


@pytest.mark.parametrize(
    "token",
    [
        "abc",
        ".",
        "..",
        "a.b",
        "a.b.c",
        "null",
        "undefined",
        "0",
        '{"k":"v"}',
        "🙂",
        "é.é",
        "\u00a0",
        "%00",
        "\x00",
        "=" * 10,
        "A" * 1025,
        "A" * 20_000,
        "A" * 500 + "." + "A" * 43,
        _b64(b"\x00" * 64) + "." + _b64(b"\x00" * 32),
    ],
)
def test_garbage_and_oversized_tokens_are_400(api: Api, token: str) -> None:
    bad_token(api, token)
