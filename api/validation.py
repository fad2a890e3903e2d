"""Input rules of the users API, exactly as openapi.json states them (a test keeps the two in step).

Pure functions over bytes and strings, no Flask: each returns clean values or raises `InvalidRequestError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn, TypedDict

from table import same_address

MAX_BODY_BYTES = 16 * 1024
NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254
DEFAULT_LIMIT = 20
MAX_LIMIT = 100

# The schema's patterns, written out in openapi.json as they are here. Control and format characters (Unicode's Cc
# and Cf: NUL, escapes, zero-width joiners, bidi overrides, the soft hyphen, the BOM) are refused anywhere: they hide
# or disguise text. _CONTROL lists exactly those of Python's Unicode version (a test checks), the astral ones as the
# characters themselves, since `\U...` and `\u{...}` escapes are each understood by only some regex engines.
# Whitespace is spelled out as the characters Python's str.isspace() (and so strip()) takes that are not controls,
# since `\s` means other sets in other regex engines. A name is 1..100 code points once leading and trailing
# whitespace is set aside. The patterns end in `(?![\s\S])` rather than `$` because Python's `$` also matches
# before a final newline, and the document must mean the same in every engine.
_CONTROL = (
    r"\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_SPACE = r"\x20\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_EMAIL_PART = _CONTROL + _SPACE + "@"
NAME_PATTERN = rf"^[{_SPACE}]*[^{_SPACE}{_CONTROL}](?:[^{_CONTROL}]{{0,98}}[^{_SPACE}{_CONTROL}])?[{_SPACE}]*(?![\s\S])"
EMAIL_PATTERN = rf"^[^{_EMAIL_PART}]+@[^{_EMAIL_PART}.]+(?:\.[^{_EMAIL_PART}.]+)+(?![\s\S])"
_CONTROLS = re.compile(f"[{_CONTROL}]")
_EMAIL = re.compile(EMAIL_PATTERN)

USER_FIELDS = ("name", "email")


class InvalidRequestError(Exception):
    """A request the API refuses: its HTTP status, a message, and per-field details."""

    def __init__(self, status: int, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = dict(errors or {})


class NewUser(TypedDict):
    name: str
    email: str


class UserChanges(TypedDict, total=False):
    name: str
    email: str


def check_length(content_length: int | None) -> None:
    """Refuse a declared body size over the limit before reading a byte of it."""
    if content_length is not None and content_length > MAX_BODY_BYTES:
        _too_large()


def json_object(mimetype: str, charset: str | None, body: bytes) -> dict[str, Any]:
    """The request's JSON object: 413 if too large, 415 if not JSON, 400 if not one JSON object."""
    if len(body) > MAX_BODY_BYTES:
        _too_large()
    if not body:
        raise InvalidRequestError(400, "the request body is empty; send a JSON object")
    if mimetype != "application/json" or (charset is not None and charset.lower() not in ("utf-8", "utf8")):
        raise InvalidRequestError(415, "send the body as Content-Type: application/json (UTF-8)")
    try:
        value = json.loads(body.decode("utf-8"), object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise InvalidRequestError(400, "the request body is not valid UTF-8") from None
    except RecursionError:
        raise InvalidRequestError(400, "the request body is nested too deeply") from None
    except ValueError as error:
        raise InvalidRequestError(400, f"the request body is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise InvalidRequestError(400, f"the request body must be a JSON object, not {_json_type(value)}")
    return value


def new_user(body: Mapping[str, Any]) -> NewUser:
    """The fields of a user to create: both required, nothing else allowed."""
    errors = _unknown_fields(body)
    fields: dict[str, str] = {}
    for field in USER_FIELDS:
        if field not in body:
            errors[field] = "is required"
        elif (problem := _field_problem(field, body[field])) is not None:
            errors[field] = problem
        else:
            fields[field] = _cleaned(field, body[field])
    if errors:
        _invalid_fields(errors)
    return NewUser(name=fields["name"], email=fields["email"])


def user_changes(body: Mapping[str, Any]) -> UserChanges:
    """The fields a PATCH changes: any subset of name and email, nothing else allowed."""
    errors = _unknown_fields(body)
    changes = UserChanges()
    for field in USER_FIELDS:
        if field not in body:
            continue
        if (problem := _field_problem(field, body[field])) is not None:
            errors[field] = problem
        else:
            changes[field] = _cleaned(field, body[field])  # type: ignore[literal-required]
    if errors:
        _invalid_fields(errors)
    return changes


def page_query(query: Mapping[str, Sequence[str]]) -> tuple[int, str | None]:
    """`limit` (an integer 1..100, default 20) and the raw `nextToken` of a list request."""
    errors: dict[str, str] = {}
    limit = DEFAULT_LIMIT
    limits = query.get("limit", ())
    if len(limits) > 1:
        errors["limit"] = "must be given at most once"
    elif limits:
        text = limits[0]
        # Digits only (no sign, space or exponent), and short enough that int() is cheap.
        if text.isascii() and text.isdigit() and len(text) <= 6 and 1 <= int(text) <= MAX_LIMIT:
            limit = int(text)
        else:
            errors["limit"] = f"must be an integer from 1 to {MAX_LIMIT}"
    tokens = query.get("nextToken", ())
    if len(tokens) > 1:
        errors["nextToken"] = "must be given at most once"
    if errors:
        raise InvalidRequestError(400, "invalid query parameters", errors)
    return limit, tokens[0] if tokens else None


def _field_problem(field: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be a string, not {_json_type(value)}"
    if not _is_text(value):
        return "must be valid Unicode text (no unpaired surrogates)"
    if has_control(value):
        return "must not contain control or format characters (Unicode categories Cc and Cf)"
    if field == "name":
        if not 1 <= len(value.strip()) <= NAME_MAX_LENGTH:
            return f"must be 1 to {NAME_MAX_LENGTH} characters long, not counting surrounding whitespace"
        return None
    if len(value) > EMAIL_MAX_LENGTH:
        return f"must be at most {EMAIL_MAX_LENGTH} characters long"
    if not _EMAIL.match(value):
        return "must be an email address such as ada@example.com"
    # Normalization can make one character many (U+FDFA is 18); the reservation's key must stay short enough for
    # DynamoDB (table.MAX_KEY_BYTES), and 254 characters of at most 4 bytes each always are.
    if len(same_address(value)) > EMAIL_MAX_LENGTH:
        return f"must be at most {EMAIL_MAX_LENGTH} characters long once normalized (NFKC)"
    return None


def _cleaned(field: str, value: str) -> str:
    # Surrounding whitespace is invisible: two names differing only there would look the same.
    return value.strip() if field == "name" else value


def has_control(value: str) -> bool:
    """Whether `value` holds a control or format character (Unicode categories Cc and Cf)."""
    return _CONTROLS.search(value) is not None


def _unknown_fields(body: Mapping[str, Any]) -> dict[str, str]:
    return {key: "is not a known field" for key in body if key not in USER_FIELDS}


def _invalid_fields(errors: dict[str, str]) -> NoReturn:
    raise InvalidRequestError(400, "invalid fields: " + ", ".join(sorted(errors)), errors)


def _too_large() -> NoReturn:
    raise InvalidRequestError(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")


def _is_text(value: str) -> bool:
    """False for strings with lone surrogates (JSON allows "\\ud800"; UTF-8 and DynamoDB do not)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        # Which duplicate wins differs between parsers; refusing it avoids the ambiguity.
        raise ValueError("duplicate keys in an object")
    return result


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
