"""Body and header encoding rules shared by every event kind.

Request bodies arrive as text or base64; response bodies leave as text only when they are
UTF-8 text, else as base64; repeated response headers are folded or listed, never dropped.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

from .errors import BadEventError

_TEXT_SUBTYPES = frozenset(
    {
        "json",
        "xml",
        "javascript",
        "ecmascript",
        "x-javascript",
        "x-www-form-urlencoded",
        "graphql",
        "yaml",
        "x-yaml",
        "x-ndjson",
    }
)
_UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})


def request_body(body: str | None, is_base64: bool) -> bytes:
    """The exact bytes the client sent: UTF-8 of a text body, or the decoded base64."""
    if not body:
        return b""
    if not is_base64:
        return body.encode()
    try:
        return _base64().decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise BadEventError("isBase64Encoded is true but the body is not valid base64") from None


@lru_cache(maxsize=64)
def is_text(content_type: str | None, content_encoding: str | None) -> bool:
    """True when a body of this type can travel as a JSON string without losing a byte."""
    if content_encoding and content_encoding.strip().lower() != "identity":
        return False
    if not content_type:
        return False
    mime, _, params = content_type.partition(";")
    mime = mime.strip().lower()
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in _UTF8_CHARSETS:
            return False
    major, _, minor = mime.partition("/")
    if major == "text":
        return True
    return (major == "application" and minor in _TEXT_SUBTYPES) or minor.endswith(("+json", "+xml"))


def response_body(headers: list[tuple[str, str]], body: bytes) -> tuple[str, bool]:
    """Encode a response body for the result: `(text, is_base64)`."""
    if not body:
        return "", False
    content_type = content_encoding = None
    for name, value in headers:
        lower = name.lower()
        if lower == "content-type":
            content_type = value
        elif lower == "content-encoding":
            content_encoding = value
    if is_text(content_type, content_encoding):
        try:
            return body.decode(), False
        except UnicodeDecodeError:
            pass
    return _base64().encode(body), True


class Base64Codec:
    """A base64 encoder and decoder that give the same bytes and raise the same errors as the standard library's."""

    # A plain class: a NamedTuple would cost two milliseconds of every cold start to build.
    __slots__ = ("decode", "encode")

    def __init__(self, encode: Callable[[bytes], str], decode: Callable[..., bytes]) -> None:
        self.encode = encode
        self.decode = decode  # (text, validate=True), raising binascii.Error or ValueError


@cache
def _base64() -> Base64Codec:
    """pybase64's SIMD codec (in the layer, about 30 times the standard library's speed), else the standard library's.

    Both give the same bytes and raise the same errors. Loaded at the first base64 body, so a function that
    never has one pays nothing at start; should pybase64's native code not load, the standard library serves.
    """
    try:
        from pybase64 import b64decode, b64encode_as_string
    except (ImportError, OSError):  # also a module of that name without these functions
        return Base64Codec(_b64encode, base64.b64decode)
    return Base64Codec(b64encode_as_string, b64decode)


def _b64encode(body: bytes) -> str:
    return binascii.b2a_base64(body, newline=False).decode("ascii")


def folded_headers(headers: list[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Headers as one value per name (repeats comma-joined, RFC 9110) and the Set-Cookie values."""
    folded: dict[str, str] = {}
    names: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        lower = name.lower()
        if lower == "set-cookie":
            cookies.append(value)
        elif lower in names:
            folded[names[lower]] += ", " + value
        else:
            names[lower] = name
            folded[name] = value
    return folded, cookies


def multi_value_headers(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Headers as a list of values per name, Set-Cookie included, in the app's order."""
    grouped: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if lower in names:
            grouped[names[lower]].append(value)
        else:
            names[lower] = name
            grouped[name] = [value]
    return grouped


def request_headers(event: dict[str, Any]) -> dict[str, str]:
    """Request headers of a 1.0 or ALB event by lowercase name, repeats joined as HTTP allows."""
    multi = event.get("multiValueHeaders")
    if not multi:
        return {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    headers: dict[str, str] = {}
    for name, values in multi.items():
        lower = name.lower()
        separator = "; " if lower == "cookie" else ", "
        joined = separator.join(values or ())
        headers[lower] = headers[lower] + separator + joined if lower in headers else joined
    return headers
