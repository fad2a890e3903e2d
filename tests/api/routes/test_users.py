"""The users contract end to end through the layer: create, read, change, delete, and their errors."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.stored import address_holders
from tests.conftest import http_event, lambda_context

USER_FIELDS = {"id", "name", "email", "createdAt", "updatedAt"}
UTC_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def listed(api: Api) -> list[dict[str, Any]]:
    return [user for page in api.walk(100) for user in page]


def test_create_answers_201_with_the_user_and_its_location(api: Api) -> None:
    before = datetime.now(UTC)
    reply = api.post("/users", {"name": "Ada Lovelace", "email": "Ada@Example.com"})
    assert reply.status == 201
    assert reply.headers["content-type"] == "application/json"
    user = reply.json()
    assert set(user) == USER_FIELDS
    assert user["name"] == "Ada Lovelace"
    assert user["email"] == "Ada@Example.com"  # stored as sent; only uniqueness ignores case
    assert isinstance(user["id"], str)
    assert user["id"]
    assert reply.headers["location"] == f"/users/{user['id']}"
    assert UTC_TIMESTAMP.fullmatch(user["createdAt"])
    assert user["createdAt"] == user["updatedAt"]
    created = datetime.fromisoformat(user["createdAt"])
    assert created.tzinfo is not None
    assert before <= created <= datetime.now(UTC)


def test_a_following_get_returns_the_identical_object(api: Api) -> None:
    created = api.post("/users", {"name": "Grace", "email": "grace@example.com"})
    reply = api.get(created.headers["location"])
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == created.json()


def test_ids_are_distinct(api: Api) -> None:
    ids = {api.create(f"user {n}", f"user{n}@example.com")["id"] for n in range(5)}
    assert len(ids) == 5


def test_no_internal_attribute_leaks_anywhere(api: Api, dynamodb: Any) -> None:
    user = api.create("Ada", "ada@example.com")
    key = {"pk": {"S": f"USER#{user['id']}"}, "sk": {"S": "USER"}}
    raw = dynamodb.get_item(TableName="users-test", Key=key, ConsistentRead=True)["Item"]
    assert set(raw) > USER_FIELDS  # the item does hold keys and a version ...
    patched = api.patch(f"/users/{user['id']}", {"name": "Ada L."}).json()
    page = api.get("/users").json()
    # ... and none of them is ever shown.
    for shown in (user, api.get(f"/users/{user['id']}").json(), patched, *page["items"]):
        assert set(shown) == USER_FIELDS
    assert set(page) == {"items", "nextToken"}


@pytest.mark.parametrize(
    "user_id",
    [
        "does-not-exist",
        "00000000-0000-0000-0000-000000000000",
        "Zoë Ünal",
        "名前",
        "🙂🙃",
        "مرحبا",
        "a\u00a0b",
        "with spaces in it",
        "<script>alert(1)",
        "'\";--",
        "%",
        "line\nbreak",
        "0\n",
        "USER#x",
        "EMAIL#ada@example.com",
        "x" * 500,
        "é" * 500,
        "🙂" * 500,  # 2,005 bytes as a key: still within DynamoDB's limit
    ],
)
def test_any_id_that_does_not_exist_is_404(api: Api, user_id: str) -> None:
    api.create("Ada", "ada@example.com")  # an address item exists, and must not be found as a user
    for method in ("GET", "PATCH", "DELETE"):
        body = {"name": "New"} if method == "PATCH" else None
        reply = api.request(method, f"/users/{user_id}", json_body=body)
        assert reply.status == 404, (method, reply.body)
        assert reply.json() == {"message": "user not found"}
    assert len(listed(api)) == 1


def test_an_id_past_dynamodbs_key_size_is_404_too(api: Api) -> None:
    assert api.get("/users/" + "🙂" * 600).status == 404
    assert api.get("/users/" + "x" * 5000).status == 404


def test_patch_changes_any_subset_and_returns_the_whole_user(api: Api) -> None:
    user = api.create("Ada", "ada@example.com")
    path = f"/users/{user['id']}"
    steps: list[dict[str, str]] = [
        {"name": "Ada King"},
        {"email": "ada.king@example.com"},
        {"name": "Ada Lovelace", "email": "countess@example.com"},
        {},
    ]
    previous = user
    for changes in steps:
        reply = api.patch(path, changes)
        assert reply.status == 200, reply.body
        current = reply.json()
        assert current == {**previous, **changes, "updatedAt": current["updatedAt"]}
        assert current["id"] == user["id"]
        assert current["createdAt"] == user["createdAt"]
        assert current["updatedAt"] >= previous["updatedAt"]
        assert api.get(path).json() == current
        previous = current
    assert previous["name"] == "Ada Lovelace"
    assert previous["email"] == "countess@example.com"


def test_updated_at_never_goes_backwards(api: Api) -> None:
    user = api.create("Ada", "ada@example.com")
    stamps = [user["updatedAt"]]
    for n in range(10):
        stamps.append(api.patch(f"/users/{user['id']}", {"name": f"Ada {n}"}).json()["updatedAt"])
    assert stamps == sorted(stamps)
    assert stamps[-1] > stamps[0]


def test_patch_of_an_unknown_id_creates_nothing(api: Api, dynamodb: Any) -> None:
    reply = api.patch("/users/ghost", {"name": "Casper", "email": "casper@example.com"})
    assert reply.status == 404
    assert api.get("/users/ghost").status == 404
    assert listed(api) == []
    assert dynamodb.scan(TableName="users-test")["Items"] == []  # no address reserved either
    api.create("Casper", "casper@example.com")


def test_patch_may_change_the_case_of_the_users_own_address(api: Api) -> None:
    user = api.create("Ada", "ada@example.com")
    reply = api.patch(f"/users/{user['id']}", {"email": "ADA@example.com"})
    assert reply.status == 200
    assert reply.json()["email"] == "ADA@example.com"
    assert api.post("/users", {"name": "Other", "email": "Ada@Example.COM"}).status == 409


def test_patch_to_an_address_in_use_is_409_and_changes_nothing(api: Api) -> None:
    ada = api.create("Ada", "ada@example.com")
    grace = api.create("Grace", "grace@example.com")
    reply = api.patch(f"/users/{grace['id']}", {"name": "Grace Hopper", "email": "ADA@example.com"})
    assert reply.status == 409
    assert reply.json() == {
        "message": "the email address is already in use",
        "errors": {"email": "belongs to another user"},
    }
    assert api.get(f"/users/{grace['id']}").json() == grace
    assert api.get(f"/users/{ada['id']}").json() == ada


def test_changing_an_address_frees_the_old_one(api: Api) -> None:
    user = api.create("Ada", "ada@example.com")
    assert api.patch(f"/users/{user['id']}", {"email": "countess@example.com"}).status == 200
    assert api.post("/users", {"name": "New Ada", "email": "ADA@EXAMPLE.COM"}).status == 201
    assert api.post("/users", {"name": "Copy", "email": "Countess@example.com"}).status == 409


def test_addresses_are_unique_ignoring_case(api: Api) -> None:
    api.create("Ada", "ada@example.com")
    for email in ("ada@example.com", "ADA@EXAMPLE.COM", "Ada@Example.Com"):
        reply = api.post("/users", {"name": "Copy", "email": email})
        assert reply.status == 409
        assert reply.json()["errors"] == {"email": "belongs to another user"}
    assert len(listed(api)) == 1


def test_delete_answers_204_and_the_user_is_gone_everywhere(api: Api, dynamodb: Any) -> None:
    user = api.create("Ada", "ada@example.com")
    keep = api.create("Grace", "grace@example.com")
    reply = api.delete(f"/users/{user['id']}")
    assert reply.status == 204
    assert reply.body == ""
    assert api.get(f"/users/{user['id']}").status == 404
    assert api.patch(f"/users/{user['id']}", {"name": "Back"}).status == 404
    assert api.delete(f"/users/{user['id']}").status == 404
    assert listed(api) == [keep]
    keys = sorted((item["pk"]["S"], item["sk"]["S"]) for item in dynamodb.scan(TableName="users-test")["Items"])
    assert keys == [
        ("EMAIL#grace@example.com", "EMAIL"),
        (f"USER#{keep['id']}", "USER"),
        ("USERS", f"{keep['createdAt']}#{keep['id']}"),
    ]
    again = api.create("Ada again", "ADA@example.com")  # the address is free again
    assert again["id"] != user["id"]


UNICODE_NAMES = [
    "Zoë Ünal-Ærøskøbing",  # accents
    "Åsa Öberg",
    "山田 太郎",  # CJK
    "김민준",
    "😀 🇫🇷 👍🏽",  # emoji, flag, skin tone modifier
    "עִבְרִית",  # RTL with points
    "مرحبا بالعالم",
    "Jean\u00a0Dupont",  # NBSP
    "e\u0301 vs \u00e9",  # combining vs precomposed: kept apart, not normalised
    "\"quoted\" 'single' `back`",
    "<b>bold</b> &amp; <script>alert('x')</script>",
    "back\\slash / slash",
    "inner\u3000ideographic\u00a0and\u2003em spaces",
    "\U0001d518\U0001d52b \U0001f600 \U0010fffd",  # astral plane: mathematical letters, emoji, plane 16
]


@pytest.mark.parametrize("name", UNICODE_NAMES)
def test_unicode_round_trips_exactly(api: Api, name: str) -> None:
    email = "zoë.山田+😀@exämple.com"
    created = api.create(name, email)
    assert created["name"] == name
    assert created["email"] == email
    assert api.get(f"/users/{created['id']}").json() == created
    assert listed(api) == [created]
    patched = api.patch(f"/users/{created['id']}", {"name": name[::-1]}).json()
    assert patched["name"] == name[::-1]
    assert api.get(f"/users/{created['id']}").json()["name"] == name[::-1]


def test_unicode_addresses_are_unique_ignoring_case(api: Api) -> None:
    api.create("Zoë", "zoë@exämple.com")
    assert api.post("/users", {"name": "Copy", "email": "ZOË@EXÄMPLE.COM"}).status == 409
    api.create("Gauß", "straße@example.de")  # full case folding: ß is ss
    assert api.post("/users", {"name": "Copy", "email": "STRASSE@example.de"}).status == 409


def test_names_are_stored_without_their_surrounding_whitespace(api: Api) -> None:
    """The length rule ignores surrounding whitespace, and so does the name stored: no invisible differences."""
    created = api.create("\u00a0 " + "x" * 100 + " \u3000\u2003", "spaces@example.com")
    assert created["name"] == "x" * 100
    assert api.get(f"/users/{created['id']}").json() == created
    patched = api.patch(f"/users/{created['id']}", {"name": "\u2028 Ada  Lovelace \u00a0"})
    assert patched.json()["name"] == "Ada  Lovelace"  # inner whitespace is the name's own
    assert listed(api) == [patched.json()]


def fullwidth(text: str) -> str:
    """ASCII letters as their fullwidth forms (U+FF21...), which look the same in East Asian text."""
    return "".join(chr(ord(char) + 0xFEE0) if char.isascii() and char.isalpha() else char for char in text)


# Look-alikes that Unicode compatibility normalization (NFKC) makes the same address as ada.lovelace@example.com.
LOOK_ALIKES = [
    fullwidth("ada.lovelace") + "@example.com",
    fullwidth("ADA.LOVELACE@EXAMPLE") + ".com",
    "\U0001d41a\U0001d41d\U0001d41a.lovelace@example.com",  # mathematical bold
    "\U0001d622da.lovelace@example.com",  # mathematical sans-serif italic
    "ada.lovelace@" + fullwidth("e") + "xample.com",
    "ada.\u2113ovelace@example.com",  # script small l
    "\u24d0da.lovelace@example.com",  # circled a
]


@pytest.mark.parametrize("address", LOOK_ALIKES)
def test_look_alike_addresses_are_one_address(api: Api, dynamodb: Any, address: str) -> None:
    ada = api.create("Ada", "ada.lovelace@example.com")
    grace = api.create("Grace", "grace@example.com")

    taken = api.post("/users", {"name": "Impostor", "email": address})
    assert taken.status == 409, taken.body
    assert taken.json()["errors"] == {"email": "belongs to another user"}
    assert api.patch(f"/users/{grace['id']}", {"email": address}).status == 409
    # Its holder may switch to the look-alike spelling: the same address, so nothing is reserved anew.
    moved = api.patch(f"/users/{ada['id']}", {"email": address})
    assert moved.status == 200
    assert moved.json()["email"] == address  # returned as sent
    assert address_holders(dynamodb) == {"ada.lovelace@example.com": ada["id"], "grace@example.com": grace["id"]}
    assert api.delete(f"/users/{ada['id']}").status == 204
    assert api.post("/users", {"name": "Ada again", "email": "ADA.LOVELACE@example.com"}).status == 201


def test_an_address_that_normalizes_too_long_is_refused(api: Api, dynamodb: Any) -> None:
    """NFKC may make one character many (U+FDFA is 18): the address's key must stay within DynamoDB's limit."""
    address = "\ufdfa" * 60 + "@example.com"  # 72 characters as sent, 1092 once normalized
    reply = api.post("/users", {"name": "Long", "email": address})
    assert reply.status == 400, reply.body
    assert set(reply.json()["errors"]) == {"email"}
    assert address_holders(dynamodb) == {}
    assert api.post("/users", {"name": "Short", "email": "\ufdfa" * 10 + "@example.com"}).status == 201


def test_the_openapi_document_is_served(api: Api, contract: Any) -> None:
    reply = api.get("/openapi.json")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == contract.document


@pytest.mark.parametrize("path", ["/", "/user", "/users/", "/Users", "/openapi.yaml", "/openapi.json/x", "/user/x"])
def test_unknown_routes_are_404_json(api: Api, path: str) -> None:
    for method in ("GET", "POST", "DELETE"):
        reply = api.request(method, path, json_body={"name": "x"} if method == "POST" else None)
        assert reply.status == 404
        assert reply.headers["content-type"] == "application/json"
        assert set(reply.json()) == {"message"}


@pytest.mark.parametrize("user_id", ["a/b", "x/", "x//y", "../x", "ok/../..", "a/b/c/d"])
def test_ids_with_slashes_are_unknown_users_too(api: Api, user_id: str) -> None:
    """Whatever follows /users/ is an id (a client sends "/" in one as %2F); no redirect, no HTML."""
    api.create("Ada", "ada@example.com")
    for method in ("GET", "PATCH", "DELETE"):
        reply = api.request(method, f"/users/{user_id}", json_body={"name": "x"} if method == "PATCH" else None)
        assert reply.status == 404
        assert reply.json() == {"message": "user not found"}
    reply = api.request("POST", f"/users/{user_id}", json_body={"name": "x", "email": "x@example.com"})
    assert reply.status == 405
    assert reply.headers["allow"] == "DELETE, GET, HEAD, PATCH"


def test_doubled_slashes_get_json_errors_not_redirects(api: Api) -> None:
    """Flask would redirect `/users//x` to `/users/x` with an HTML page; here it is not a route at all."""
    user = api.create("Ada", "ada@example.com")
    for method in ("GET", "PATCH", "DELETE", "POST"):
        reply = api.request(method, f"/users//{user['id']}", json_body={"name": "x"} if method != "GET" else None)
        assert reply.status in (404, 405)
        assert reply.headers["content-type"] == "application/json"
        assert "location" not in reply.headers
    assert api.get(f"/users/{user['id']}").json() == user
    # Leading slashes collapse before routing (werkzeug does so for every app): the same resource.
    assert api.get("//users").json()["items"] == [user]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/users", "GET, HEAD, POST"),
        ("DELETE", "/users", "GET, HEAD, POST"),
        ("PATCH", "/users", "GET, HEAD, POST"),
        ("OPTIONS", "/users", "GET, HEAD, POST"),
        ("POST", "/users/some-id", "DELETE, GET, HEAD, PATCH"),
        ("PUT", "/users/some-id", "DELETE, GET, HEAD, PATCH"),
        ("POST", "/openapi.json", "GET, HEAD"),
    ],
)
def test_wrong_methods_are_405_json_with_allow(api: Api, method: str, path: str, allowed: str) -> None:
    reply = api.request(method, path, json_body={"name": "x", "email": "x@example.com"})
    assert reply.status == 405
    assert reply.headers["allow"] == allowed
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == {"message": f"{method} is not allowed on {path}"}
    assert listed(api) == []


def test_head_answers_like_get_without_a_body(api: Api) -> None:
    user = api.create("Ada", "ada@example.com")
    reply = api.request("HEAD", f"/users/{user['id']}")
    assert reply.status == 200
    assert reply.body == ""
    assert api.request("HEAD", "/users/ghost").status == 404


@pytest.mark.parametrize("raw_id", ["%FF", "%C3%28", "%00", "%ED%A0%80", "a%2Fb", "%25", "..", "."])
def test_raw_paths_that_are_not_clean_utf8_are_404_json(api: Api, raw_id: str) -> None:
    """Bytes that are no valid UTF-8 (or decode to a slash) still answer a JSON 404, never a 5xx."""
    event = http_event("GET", "/users/placeholder")
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/users/{raw_id}"
    result = api.handler(event, lambda_context())
    assert result["statusCode"] == 404
    assert result["headers"]["Content-Type"] == "application/json"
    assert set(json.loads(result["body"])) == {"message"}
