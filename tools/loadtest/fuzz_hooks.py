"""Schemathesis hooks for the users API (`SCHEMATHESIS_HOOKS=tools.loadtest.fuzz_hooks`): real page tokens.

`nextToken` is valid only if this API issued it, which no JSON Schema can say: the document gives the tokens' shape
(pattern, length) and says the rest in words. Here the fuzzer learns it. The parameter gets a format in the
fuzzer's copy of the document, whose strategy signs listing positions with api/page_token.py's own code and the key
serve was started with (PAGE_TOKEN_KEY), so valid data holds real tokens; a case the fuzzer calls valid while its
token was drawn from the pattern alone (a made-up string of the right shape, which the API rightly refuses) is
dropped before it is sent; and a check asks of every answer to a page request whether it agrees with the token's
real verdict: an issued token is never refused, any other gets 400 naming `nextToken`.
"""

from __future__ import annotations

import importlib.util
import os
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import schemathesis
from hypothesis import strategies as st

API_DIR = Path(__file__).resolve().parents[2] / "api"
KEY_VARIABLE = "PAGE_TOKEN_KEY"
TOKEN_FORMAT = "users-api-page-token"
LIST_OPERATION = "listUsers"


def _api_module(name: str) -> ModuleType:
    """One of the function's modules, read from api/ as Lambda would import it (they need only itsdangerous)."""
    spec = importlib.util.spec_from_file_location(f"users_api_{name}", API_DIR / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


page_token = _api_module("page_token")
table = _api_module("table")


def _tokens() -> Any:
    key = os.environ.get(KEY_VARIABLE, "")
    if len(key) < page_token.MIN_KEY_LENGTH:
        raise RuntimeError(f"{KEY_VARIABLE} must be the key serve signs page tokens with (32+ characters)")
    return page_token.PageTokens([key])


TOKENS = _tokens()

# A listing position as storage.py writes one: createdAt (fixed-width microseconds, UTC), the separator, an id.
_ids = st.one_of(
    st.uuids().map(str),
    st.text(st.characters(codec="utf-8", exclude_characters="#"), min_size=1, max_size=40).filter(
        lambda text: not any(char.isspace() for char in text)
    ),
)
positions = st.builds(
    lambda when, user_id: when.strftime("%Y-%m-%dT%H:%M:%S.%fZ") + table.LISTING_SEPARATOR + user_id,
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2999, 12, 31)),
    _ids,
).filter(lambda position: table.LISTING_POSITION.fullmatch(position) is not None)
schemathesis.openapi.format(TOKEN_FORMAT, positions.map(lambda position: TOKENS.encode([position])))


def issued(token: str) -> bool:
    """Whether the API would take `token` for a page token, decided as it decides (storage.Users._start_key)."""
    try:
        values = TOKENS.decode(token)
    except page_token.InvalidTokenError:
        return False
    return len(values) == 1 and table.LISTING_POSITION.fullmatch(values[0]) is not None


@schemathesis.hook
def before_load_schema(context: schemathesis.HookContext, raw_schema: dict[str, Any]) -> None:
    """Say in the fuzzer's copy of the document that a valid nextToken is one the API issued.

    A format only narrows what the pattern and length admit; the document served is unchanged.
    """
    parameter = raw_schema["components"]["parameters"]["NextToken"]
    if parameter.get("name") != "nextToken" or "pattern" not in parameter["schema"]:
        raise RuntimeError("the document's NextToken parameter changed: update tools/loadtest/fuzz_hooks.py")
    parameter["schema"]["format"] = TOKEN_FORMAT


def _made_up_token(case: schemathesis.Case) -> bool:
    token = case.query.get("nextToken") if isinstance(case.query, dict) else None
    return isinstance(token, str) and not issued(token)


@schemathesis.hook
def filter_case(context: schemathesis.HookContext, case: schemathesis.Case) -> bool:
    """Drop a case called valid whose nextToken the API never issued: the fuzzer's label is wrong, not the API."""
    meta = case.meta
    if context.operation is None or context.operation.definition.raw.get("operationId") != LIST_OPERATION:
        return True
    return not (meta is not None and meta.generation.mode.is_positive and _made_up_token(case))


@schemathesis.check
def page_token_verdict(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """An issued nextToken is never refused; any other gets 400 naming it (or the limit, which is checked first)."""
    if case.operation.definition.raw.get("operationId") != LIST_OPERATION:
        return None
    token = case.query.get("nextToken") if isinstance(case.query, dict) else None
    if not isinstance(token, str):
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    errors = body.get("errors", {}) if isinstance(body, dict) else {}
    refused = response.status_code == 400 and isinstance(errors, dict) and "nextToken" in errors
    if issued(token):
        if refused:
            raise AssertionError(f"A page token this API issued was refused: {errors['nextToken']}")
        return None
    limit_refused = response.status_code == 400 and isinstance(errors, dict) and "limit" in errors
    if not refused and not limit_refused:
        raise AssertionError(
            f"A nextToken this API never issued was answered {response.status_code}, not 400 naming nextToken"
        )
    return None
