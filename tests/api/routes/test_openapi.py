"""api/openapi.json is a valid OpenAPI 3.1 document, says what validation.py enforces, and real answers match it.

Every response of every API test is checked against it (see contract.py); here each documented one is produced.
"""

from __future__ import annotations

import json
import re
import unicodedata
from types import ModuleType
from typing import Any

import pytest
from openapi_spec_validator import validate as validate_spec

from tests.api.conftest import Api, jwt_caller, point_storage_at
from tests.api.contract import DOCUMENT_PATH, Contract
from tests.api.storage.test_unavailable import closed_port


def test_the_document_is_valid_openapi_3_1() -> None:
    document = json.loads(DOCUMENT_PATH.read_text())
    assert document["openapi"].startswith("3.1.")
    validate_spec(document)


def test_the_document_states_the_rules_validation_enforces(api_modules: dict[str, ModuleType]) -> None:
    validation = api_modules["validation"]
    document = json.loads(DOCUMENT_PATH.read_text())
    schemas = document["components"]["schemas"]
    assert schemas["Email"]["maxLength"] == validation.EMAIL_MAX_LENGTH
    assert schemas["Name"]["pattern"] == validation.NAME_PATTERN
    assert schemas["Email"]["pattern"] == validation.EMAIL_PATTERN
    assert schemas["NewUser"]["required"] == list(validation.USER_FIELDS)
    for name in ("NewUser", "UserChanges"):
        assert set(schemas[name]["properties"]) == set(validation.USER_FIELDS)
        assert schemas[name]["additionalProperties"] is False
    limit = document["components"]["parameters"]["Limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, validation.MAX_LIMIT, validation.DEFAULT_LIMIT)
    assert str(validation.MAX_BODY_BYTES) in document["components"]["responses"]["PayloadTooLarge"]["description"]
    next_token = document["components"]["parameters"]["NextToken"]["schema"]
    assert next_token["maxLength"] == api_modules["page_token"].MAX_TOKEN_LENGTH
    assert next_token["pattern"] == api_modules["page_token"].TOKEN_PATTERN


# Regex dialects disagree on `\s`: Python's `re` takes str.isspace(), which validation.py uses; with re.ASCII (as
# schemathesis reads patterns) it is ASCII whitespace alone; ECMA-262, JSON Schema's dialect, has a list of its own
# (U+FEFF in, U+001C-U+001F and U+0085 out). So the document spells whitespace out, and every reader agrees.
_ECMA_WHITESPACE = "\t\n\v\f\r \xa0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(
    map(chr, range(0x2000, 0x200B))
)


def _disputed_characters() -> list[str]:
    """Every character some dialect might read differently, or the rules single out: whitespace of any reading,
    separators, controls and format characters (astral ones too), and the astral plane's edges."""
    return [
        char
        for char in map(chr, range(0x110000))
        if char.isspace()
        or char in _ECMA_WHITESPACE
        or unicodedata.category(char) in ("Zs", "Zl", "Zp", "Cc", "Cf")
        or ord(char) < 0x100
        or ord(char) in (0x10000, 0x10FFFF)
    ]


def _accepted(validation: ModuleType, name: str = "Ada", email: str = "ada@example.com") -> bool:
    try:
        validation.new_user({"name": name, "email": email})
    except validation.InvalidRequestError:
        return False
    return True


@pytest.mark.parametrize("flags", [0, re.ASCII], ids=["python", "ascii"])
def test_the_documents_patterns_admit_what_validation_admits(api_modules: dict[str, ModuleType], flags: int) -> None:
    validation = api_modules["validation"]
    schemas = json.loads(DOCUMENT_PATH.read_text())["components"]["schemas"]
    for pattern in (schemas["Name"]["pattern"], schemas["Email"]["pattern"]):
        # No class shorthand whose meaning depends on the dialect; `[\s\S]` (any character) means the same in all.
        assert not re.search(r"\\[sSdDwWbB]", pattern.replace(r"[\s\S]", "")), pattern
    name = re.compile(schemas["Name"]["pattern"], flags)
    email = re.compile(schemas["Email"]["pattern"], flags)
    for char in _disputed_characters():
        for probe in (char, f"{char}a", f"a{char}", f"a{char}b", char * 3, f"{'x' * 99}{char}"):
            assert bool(name.search(probe)) == _accepted(validation, name=probe), (probe, "name")
        for probe in (f"{char}@b.cd", f"a{char}@b.cd", f"a@b{char}.cd", f"a@b.c{char}", f"a@{char}.cd"):
            assert bool(email.search(probe)) == _accepted(validation, email=probe), (probe, "email")


def test_issued_page_tokens_are_what_the_document_describes(api: Api, contract: Contract) -> None:
    """The document admits only strings shaped like the tokens the API signs, never any string of 1-1024 chars."""
    for n in range(3):
        api.create(f"Paged {n}", f"paged{n}@example.com")
    token = api.get("/users", "limit=1").json()["nextToken"]
    schema = "/components/parameters/NextToken/schema"
    assert contract.is_valid(token, schema)
    for made_up in ("x", "not a token", "a" * 60, token + "\n", token + "=", " " + token, "é.é"):
        assert not contract.is_valid(made_up, schema), made_up


def test_every_link_names_an_operation_and_its_parameters() -> None:
    document = json.loads(DOCUMENT_PATH.read_text())
    parameters = document["components"]["parameters"]
    operations = {}
    for item in document["paths"].values():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method != "parameters":
                declared = [*shared, *operation.get("parameters", [])]
                names = {
                    parameters[p["$ref"].rsplit("/", 1)[-1]]["name"] if "$ref" in p else p["name"] for p in declared
                }
                operations[operation["operationId"]] = names
    links = [
        link
        for item in document["paths"].values()
        for method, operation in item.items()
        if method != "parameters"
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert links
    for link in links:
        assert set(link["parameters"]) <= operations[link["operationId"]], link


def test_every_documented_response_happens_and_conforms(
    api: Api, api_modules: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    contract = Contract()
    checked = Api(api.handler, contract)
    user: dict[str, Any] = checked.create("Ada", "ada@example.com")
    other = checked.create("Grace", "grace@example.com")
    path = f"/users/{user['id']}"
    for method, target in (("POST", "/users"), ("PATCH", path)):
        checked.request(method, target, json_body={"name": ""})  # 400
        checked.request(method, target, json_body={"name": "Eve", "email": "GRACE@example.com"})  # 409
        checked.request(method, target, body="{}" + " " * 20_000)  # 413
        checked.request(method, target, body="{}", content_type="text/plain")  # 415
    checked.get("/users", "limit=2")
    checked.get("/users", "limit=0")
    checked.get(path)
    checked.get("/users/nobody")
    checked.patch(path, {"name": "Ada L."})
    checked.patch("/users/nobody", {"name": "Ada L."})
    stranger = checked.as_caller(jwt_caller("stranger"))
    stranger.patch(path, {"name": "Eve"})  # 403
    stranger.delete(path)  # 403
    checked.delete(f"/users/{other['id']}")
    checked.delete(f"/users/{other['id']}")
    checked.get("/openapi.json")
    point_storage_at(monkeypatch, api.handler, f"http://127.0.0.1:{closed_port()}")
    checked.get("/users")
    checked.post("/users", {"name": "Ada", "email": "new@example.com"})
    checked.get(path)
    checked.patch(path, {"name": "X"})
    checked.delete(path)
    produced = {(method, template, status) for method, template, status in contract.seen if template is not None}
    assert produced == contract.operations


def test_the_checker_notices_an_undocumented_answer(contract: Contract) -> None:
    """The conformance check itself can fail: a 500, a stray field, a missing header are each caught."""
    user = {"id": "1", "name": "Ada", "email": "ada@example.com", "createdAt": "2025-01-01T00:00:00.000000Z"}
    json_type = {"content-type": "application/json"}
    with pytest.raises(AssertionError):
        contract.check("GET", "/users/1", 500, json_type, '{"message": "boom"}')
    with pytest.raises(AssertionError):  # updatedAt missing
        contract.check("GET", "/users/1", 200, json_type, json.dumps(user))
    with pytest.raises(AssertionError):  # a leaked attribute
        contract.check(
            "GET", "/users/1", 200, json_type, json.dumps({**user, "updatedAt": user["createdAt"], "pk": "x"})
        )
    with pytest.raises(AssertionError):  # no Location
        contract.check("POST", "/users", 201, json_type, json.dumps({**user, "updatedAt": user["createdAt"]}))
    with pytest.raises(AssertionError):  # no Retry-After
        contract.check("GET", "/users", 503, json_type, '{"message": "busy"}')
    with pytest.raises(AssertionError):  # not the error shape
        contract.check("GET", "/users/1", 404, json_type, '{"error": "not found"}')
    contract.check("GET", "/users/1", 200, json_type, json.dumps({**user, "updatedAt": user["createdAt"]}))
