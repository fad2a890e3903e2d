"""Opaque, signed page tokens: a list of strings, base64url-encoded with an HMAC-SHA256 signature.

The key comes from PAGE_TOKEN_KEY (at least 32 characters); without it the module refuses to load.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from collections.abc import Sequence

KEY_VARIABLE = "PAGE_TOKEN_KEY"
MIN_KEY_LENGTH = 32
MAX_TOKEN_LENGTH = 1024
_DIGEST_SIZE = hashlib.sha256().digest_size
# Signed along with the payload, so a signature made for anything else never fits a page token.
_PURPOSE = b"users-api/page-token/v1\n"
_PART = re.compile(r"[A-Za-z0-9_-]+")


class InvalidTokenError(ValueError):
    """A token this key did not sign, or that is not a token at all."""


def _load_key() -> bytes:
    key = os.environ.get(KEY_VARIABLE, "")
    if len(key) < MIN_KEY_LENGTH:
        state = "is not set" if not key else f"is only {len(key)} characters long"
        raise RuntimeError(
            f"{KEY_VARIABLE} {state}: set it to a secret of at least {MIN_KEY_LENGTH} characters that signs "
            "page tokens (e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    return key.encode("utf-8")


_KEY = _load_key()


def encode(values: Sequence[str]) -> str:
    payload = json.dumps(list(values), separators=(",", ":")).encode("utf-8")
    return _b64(payload) + "." + _b64(_sign(payload))


def decode(token: str) -> list[str]:
    """The strings `encode` was given; `InvalidTokenError` for anything this key did not sign."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidTokenError(f"is longer than {MAX_TOKEN_LENGTH} characters")
    payload_text, dot, signature_text = token.partition(".")
    payload, signature = _unb64(payload_text), _unb64(signature_text)
    if not dot or payload is None or signature is None or len(signature) != _DIGEST_SIZE:
        raise InvalidTokenError("is not a page token")
    if not hmac.compare_digest(signature, _sign(payload)):
        raise InvalidTokenError("has been altered or was not issued by this API")
    try:
        values = json.loads(payload)
    except ValueError:
        values = None
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise InvalidTokenError("is not a page token")
    return values


def _sign(payload: bytes) -> bytes:
    return hmac.new(_KEY, _PURPOSE + payload, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    """Strict base64url without padding: other characters, or spare bits set, mean an altered token."""
    if not _PART.fullmatch(text):
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if _b64(data) == text else None
