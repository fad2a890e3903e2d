"""Strict input: every malformed request is refused with the right status, and changes nothing."""

from __future__ import annotations

import json
import unicodedata
from types import ModuleType
from typing import Any

import pytest

from tests.api.conftest import TABLE_NAME, Api

OK_NAME = "Ada"
OK_EMAIL = "ada@example.com"


def items(dynamodb: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = dynamodb.scan(TableName=TABLE_NAME)["Items"]
    return result


FIELD_ERRORS: list[tuple[dict[str, Any], dict[str, str]]] = [
    ({}, {"name": "is required", "email": "is required"}),
    ({"name": OK_NAME}, {"email": "is required"}),
    ({"email": OK_EMAIL}, {"name": "is required"}),
    ({"name": None, "email": OK_EMAIL}, {"name": "must be a string, not null"}),
    ({"name": 5, "email": OK_EMAIL}, {"name": "must be a string, not a number"}),
    ({"name": 1.5, "email": OK_EMAIL}, {"name": "must be a string, not a number"}),
    ({"name": True, "email": OK_EMAIL}, {"name": "must be a string, not a boolean"}),
    ({"name": ["Ada"], "email": OK_EMAIL}, {"name": "must be a string, not an array"}),
    ({"name": {"first": "Ada"}, "email": OK_EMAIL}, {"name": "must be a string, not an object"}),
    ({"name": OK_NAME, "email": None}, {"email": "must be a string, not null"}),
    ({"name": OK_NAME, "email": 42}, {"email": "must be a string, not a number"}),
    ({"name": OK_NAME, "email": OK_EMAIL, "id": "mine"}, {"id": "is not a known field"}),
    ({"name": OK_NAME, "email": OK_EMAIL, "createdAt": "2020-01-01T00:00:00Z"}, {"createdAt": "is not a known field"}),
    ({"Name": OK_NAME, "email": OK_EMAIL}, {"Name": "is not a known field", "name": "is required"}),
    (
        {"name": None, "email": None, "x": 1},
        {"x": "is not a known field", "name": "must be a string, not null", "email": "must be a string, not null"},
    ),
]

BAD_NAMES = ["", " ", "   ", "\t\n", "\u00a0\u3000\u2003", "x" * 101, "🙂" * 101, " " + "x" * 101 + " "]
BAD_EMAILS = [
    "",
    "plain",
    "@example.com",
    "ada@",
    "ada@example",
    "ada@@example.com",
    "ada@exa@mple.com",
    "a da@example.com",
    "ada@exam ple.com",
    " ada@example.com",
    "ada@example.com ",
    "ada@example.com\n",
    "ada@.com",
    "ada@example.",
    "ada@example..com",
    "ada\x00@example.com",
    "ada@exa\x7fmple.com",
    "a" * 243 + "@example.com",  # 255 characters
]


@pytest.mark.parametrize(("body", "errors"), FIELD_ERRORS)
def test_post_reports_each_field_at_fault(
    api: Api, dynamodb: Any, body: dict[str, Any], errors: dict[str, str]
) -> None:
    reply = api.post("/users", body)
    assert reply.status == 400
    assert reply.json()["errors"] == errors
    assert reply.json()["message"].startswith("invalid fields")
    assert items(dynamodb) == []


@pytest.mark.parametrize("name", BAD_NAMES)
def test_post_refuses_bad_names_and_reserves_nothing(api: Api, dynamodb: Any, name: str) -> None:
    reply = api.post("/users", {"name": name, "email": OK_EMAIL})
    assert reply.status == 400
    assert set(reply.json()["errors"]) == {"name"}
    assert items(dynamodb) == []
    # The valid address of the rejected request is still free.
    assert api.post("/users", {"name": OK_NAME, "email": OK_EMAIL}).status == 201


@pytest.mark.parametrize("email", BAD_EMAILS)
def test_post_refuses_bad_addresses(api: Api, dynamodb: Any, email: str) -> None:
    reply = api.post("/users", {"name": OK_NAME, "email": email})
    assert reply.status == 400
    assert set(reply.json()["errors"]) == {"email"}
    assert items(dynamodb) == []


@pytest.mark.parametrize(
    ("name", "email"),
    [
        ("x", OK_EMAIL),
        ("x" * 100, OK_EMAIL),
        ("🙂" * 100, OK_EMAIL),  # counted in code points, not bytes or UTF-16 units
        ("🇫🇷" * 50, OK_EMAIL),  # 100 code points
        ("\u3000 " + "x" * 100 + " \u2029", OK_EMAIL),
        (OK_NAME, "a" * 242 + "@example.com"),  # 254 characters
        (OK_NAME, "a@b.co"),
        (OK_NAME, "first.last+tag@sub.example.co.uk"),
        (OK_NAME, "zoë@exämple.com"),
        (OK_NAME, "<ada>@example.com"),
    ],
)
def test_post_accepts_the_boundaries(api: Api, name: str, email: str) -> None:
    reply = api.post("/users", {"name": name, "email": email})
    assert reply.status == 201, reply.body
    assert reply.json()["name"] == name.strip()
    assert reply.json()["email"] == email


# Control (Cc) and format (Cf) characters: invisible, or changing how the text around them shows.
CONTROLS = [
    "\x00",  # NUL
    "\x1b[31m",  # an ANSI escape sequence
    "\t",
    "\n",
    "\x7f",  # DEL
    "\x85",  # NEL
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u00ad",  # soft hyphen
    "\ufeff",  # byte order mark
    "\U000e0041",  # a tag character
]


@pytest.mark.parametrize("control", CONTROLS)
def test_control_and_format_characters_are_refused_in_names(api: Api, dynamodb: Any, control: str) -> None:
    user = api.create(OK_NAME, OK_EMAIL)
    before = items(dynamodb)
    for name in (f"Ada{control}Lovelace", f"{control}Ada", f"Ada{control}", f"Ada {control} "):
        for reply in (
            api.post("/users", {"name": name, "email": "other@example.com"}),
            api.patch(f"/users/{user['id']}", {"name": name}),
        ):
            assert reply.status == 400, (name, reply.body)
            assert set(reply.json()["errors"]) == {"name"}
            assert "control" in reply.json()["errors"]["name"]
    assert items(dynamodb) == before


@pytest.mark.parametrize("control", CONTROLS)
def test_control_and_format_characters_are_refused_in_addresses(api: Api, dynamodb: Any, control: str) -> None:
    user = api.create(OK_NAME, OK_EMAIL)
    before = items(dynamodb)
    for email in (f"gr{control}ace@example.com", f"{control}grace@example.com", f"grace@exam{control}ple.com"):
        for reply in (
            api.post("/users", {"name": "Grace", "email": email}),
            api.patch(f"/users/{user['id']}", {"email": email}),
        ):
            assert reply.status == 400, (email, reply.body)
            assert set(reply.json()["errors"]) == {"email"}
    assert items(dynamodb) == before


def test_the_control_characters_refused_are_exactly_unicodes_cc_and_cf(api_modules: dict[str, ModuleType]) -> None:
    validation = api_modules["validation"]
    expected = {code for code in range(0x110000) if unicodedata.category(chr(code)) in ("Cc", "Cf")}
    refused = {code for code in range(0x110000) if validation.has_control(chr(code))}
    assert refused == expected, (sorted(refused - expected)[:5], sorted(expected - refused)[:5])


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"email": "nope"}, "email"),
        ({"email": None}, "email"),
        ({"id": "other"}, "id"),
        ({"createdAt": "2000-01-01T00:00:00.000000Z"}, "createdAt"),
        ({"updatedAt": "2000-01-01T00:00:00.000000Z"}, "updatedAt"),
        # One valid field does not make the request partly acceptable.
        ({"name": "Valid Name", "email": "not an address"}, "email"),
        ({"name": "", "email": "free@example.com"}, "name"),
        ({"email": "free@example.com", "extra": 1}, "extra"),
    ],
)
def test_patch_refuses_bad_fields_and_changes_nothing(
    api: Api, dynamodb: Any, body: dict[str, Any], error: str
) -> None:
    user = api.create(OK_NAME, OK_EMAIL)
    before = items(dynamodb)
    reply = api.patch(f"/users/{user['id']}", body)
    assert reply.status == 400
    assert error in reply.json()["errors"]
    assert api.get(f"/users/{user['id']}").json() == user
    assert items(dynamodb) == before
    assert api.post("/users", {"name": "Other", "email": "free@example.com"}).status == 201


MALFORMED = [
    "{",
    "}",
    "{'name': 'Ada'}",
    '{"name": "Ada", "email": "ada@example.com",}',
    '{"name": "Ada"} {"email": "ada@example.com"}',
    '{"name": "Ada", "email": "ada@example.com"}x',
    '{"name": NaN, "email": "ada@example.com"}',
    '{"name": "Ada", "email": "ada@example.com", "n": Infinity}',
    '{"name": "Ada", "name": "Eve", "email": "ada@example.com"}',
    "\ufeff" + json.dumps({"name": OK_NAME, "email": OK_EMAIL}),
    "[" * 5000 + "]" * 5000,
    '{"name": "Ada", "email": "ada@example.com", "n": ' + "9" * 5000 + "}",
    "nul",
    "undefined",
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_json_is_400(api: Api, dynamodb: Any, text: str) -> None:
    reply = api.request("POST", "/users", body=text)
    assert reply.status == 400, reply.body
    assert "JSON" in reply.json()["message"] or "nested" in reply.json()["message"]
    assert items(dynamodb) == []


@pytest.mark.parametrize("text", ["[]", '[{"name": "Ada", "email": "ada@example.com"}]', '"Ada"', "1", "null", "true"])
def test_a_json_body_that_is_not_an_object_is_400(api: Api, text: str) -> None:
    for method, path in (("POST", "/users"), ("PATCH", "/users/any")):
        reply = api.request(method, path, body=text)
        assert reply.status == 400
        assert reply.json()["message"].startswith("the request body must be a JSON object")


def test_deeply_nested_bodies_are_400(api: Api, dynamodb: Any) -> None:
    for text in ("[" * 8000 + "]" * 8000, '{"a":' * 2700 + "1" + "}" * 2700, '{"name":' * 1800 + '""' + "}" * 1800):
        assert len(text) <= 16_384
        assert api.request("POST", "/users", body=text).status == 400
    assert items(dynamodb) == []


@pytest.mark.parametrize("content_type", ["application/json", None, "text/plain"])
def test_an_empty_body_is_400(api: Api, content_type: str | None) -> None:
    user = api.create(OK_NAME, OK_EMAIL)
    for method, path in (("POST", "/users"), ("PATCH", f"/users/{user['id']}")):
        for body in (None, ""):
            reply = api.request(method, path, body=body, content_type=content_type)
            assert reply.status == 400
            assert reply.json() == {"message": "the request body is empty; send a JSON object"}


def test_bodies_that_are_not_utf8_or_carry_lone_surrogates_are_400(api: Api, dynamodb: Any) -> None:
    latin1 = '{"name": "Zoë", "email": "zoe@example.com"}'.encode("latin-1")
    assert api.request("POST", "/users", body=latin1).status == 400
    surrogate = '{"name": "\\ud800", "email": "zoe@example.com"}'
    reply = api.request("POST", "/users", body=surrogate)
    assert reply.status == 400
    assert set(reply.json()["errors"]) == {"name"}
    assert api.request("POST", "/users", body='{"name": "Zoë", "email": "z\\udfff@example.com"}').status == 400
    assert items(dynamodb) == []


def test_escaped_unicode_is_the_same_text(api: Api) -> None:
    body = '{"name": "Zo\\u00eb \\ud83d\\ude00", "email": "zoe@example.com"}'  # a valid surrogate pair
    reply = api.request("POST", "/users", body=body)
    assert reply.status == 201
    assert reply.json()["name"] == "Zoë 😀"


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/jsonx",
        "application/json-patch+json",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
        None,
    ],
)
def test_a_body_that_is_not_json_by_type_is_415(api: Api, dynamodb: Any, content_type: str | None) -> None:
    user = api.create(OK_NAME, OK_EMAIL)
    body = json.dumps({"name": "New", "email": "new@example.com"})
    for method, path in (("POST", "/users"), ("PATCH", f"/users/{user['id']}")):
        reply = api.request(method, path, body=body, content_type=content_type)
        assert reply.status == 415, (content_type, reply.body)
    assert api.get(f"/users/{user['id']}").json() == user
    assert len(items(dynamodb)) == 3  # the user, its listing entry and its address


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "Application/JSON", "application/json; charset=utf-8", "application/json;charset=UTF-8"],
)
def test_json_content_types_are_accepted(api: Api, content_type: str) -> None:
    body = json.dumps({"name": OK_NAME, "email": OK_EMAIL})
    assert api.request("POST", "/users", body=body, content_type=content_type).status == 201


def test_an_oversized_body_is_413_and_changes_nothing(api: Api, dynamodb: Any) -> None:
    user = api.create(OK_NAME, OK_EMAIL)
    padded = json.dumps({"name": "Big", "email": "big@example.com"}) + " " * 16_384
    binary = b"\x00" * 100_000
    for method, path in (("POST", "/users"), ("PATCH", f"/users/{user['id']}")):
        assert api.request(method, path, body=padded).status == 413
        assert api.request(method, path, body=binary).status == 413  # arrives base64-encoded
        assert api.request(method, path, body=binary, content_type="application/octet-stream").status == 413
    just_fits = json.dumps({"name": "Big", "email": "big@example.com"})
    just_fits += " " * (16_384 - len(just_fits))
    assert api.request("POST", "/users", body=just_fits).status == 201
    assert api.get(f"/users/{user['id']}").json() == user
    assert len(items(dynamodb)) == 6  # two users, each with a listing entry and an address


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=-1",
        "limit=abc",
        "limit=1.5",
        "limit=1e2",
        "limit=+5",
        "limit=%205",
        "limit=",
        "limit=0x10",
        "limit=%EF%BC%95",  # a fullwidth digit five
        "limit=99999999999999999999999999999999",
        "limit=" + "9" * 5000,
        "limit=1&limit=2",
        "nextToken=",
        "nextToken=a&nextToken=b",
    ],
)
def test_bad_list_parameters_are_400(api: Api, query: str) -> None:
    api.create(OK_NAME, OK_EMAIL)
    reply = api.get("/users", query)
    assert reply.status == 400
    assert set(reply.json()["errors"]) <= {"limit", "nextToken"}
    assert reply.json()["errors"]


@pytest.mark.parametrize(("query", "expected"), [("", 20), ("limit=1", 1), ("limit=100", 100), ("limit=007", 7)])
def test_good_limits(api: Api, query: str, expected: int) -> None:
    for n in range(expected + 1):
        api.create(f"User {n}", f"user{n}@example.com")
    page = api.get("/users", query).json()
    assert len(page["items"]) == expected
    assert page["nextToken"] is not None
