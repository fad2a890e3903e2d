"""Opaque, signed page tokens, made and checked by itsdangerous (Flask's own signing library).

The newest key signs; every configured key verifies, so a key can be rotated without breaking the
tokens clients already hold: PAGE_TOKEN_KEY signs, PAGE_TOKEN_PREVIOUS_KEYS (comma-separated) still verify.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence

from itsdangerous import BadData, URLSafeSerializer
from itsdangerous.encoding import base64_decode, base64_encode

KEY_VARIABLE = "PAGE_TOKEN_KEY"
PREVIOUS_KEYS_VARIABLE = "PAGE_TOKEN_PREVIOUS_KEYS"
MIN_KEY_LENGTH = 32
MAX_TOKEN_LENGTH = 1024
# Mixed into the signature, so a signature made for anything else (a session cookie...) never fits a page token.
_SALT = "users-api/page-token/v1"
# What itsdangerous writes: URL-safe base64 segments joined by dots (a leading dot marks a compressed payload).
# openapi.json gives it as the parameter's pattern, ending in `(?![\s\S])` as Python's `$` also matches before "\n".
TOKEN_PATTERN = r"^\.?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?![\s\S])"
_TOKEN = re.compile(TOKEN_PATTERN)


class InvalidTokenError(ValueError):
    """A token no configured key signed, or that is not a token at all."""


class PageTokens:
    """Signs lists of strings into tokens and reads them back."""

    def __init__(self, keys: Sequence[str]) -> None:
        """`keys` oldest first: the last one signs."""
        if not keys:
            raise ValueError("at least one key is needed")
        self._serializer = URLSafeSerializer(list(keys), salt=_SALT, signer_kwargs={"digest_method": hashlib.sha256})

    @classmethod
    def from_environment(cls) -> PageTokens:
        """The keys the function is configured with; a missing or short key stops it with the reason."""
        current = os.environ.get(KEY_VARIABLE, "")
        if len(current) < MIN_KEY_LENGTH:
            state = "is not set" if not current else f"is only {len(current)} characters long"
            raise RuntimeError(
                f"{KEY_VARIABLE} {state}: set it to a secret of at least {MIN_KEY_LENGTH} characters that signs "
                "page tokens (e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        previous = [key for key in os.environ.get(PREVIOUS_KEYS_VARIABLE, "").split(",") if key]
        short = [key for key in previous if len(key) < MIN_KEY_LENGTH]
        if short:
            raise RuntimeError(f"{PREVIOUS_KEYS_VARIABLE} holds a key of fewer than {MIN_KEY_LENGTH} characters")
        return cls([*previous, current])

    def encode(self, values: Sequence[str]) -> str:
        return str(self._serializer.dumps(list(values)))

    def decode(self, token: str) -> list[str]:
        """The strings `encode` was given; `InvalidTokenError` for anything no configured key signed."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidTokenError(f"is longer than {MAX_TOKEN_LENGTH} characters")
        # itsdangerous reads base64 leniently (stray characters dropped, spare bits ignored): only the exact
        # text it writes is a token, so a changed character can never pass as the same token.
        if not _TOKEN.fullmatch(token) or not all(_canonical(part) for part in token.lstrip(".").split(".")):
            raise InvalidTokenError("is not a page token")
        try:
            values = self._serializer.loads(token)
        except BadData:
            raise InvalidTokenError("has been altered or was not issued by this API") from None
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            raise InvalidTokenError("is not a page token")
        return values


def _canonical(part: str) -> bool:
    """Whether a base64url segment is the one encoding of its bytes (no spare bits set)."""
    try:
        return base64_encode(base64_decode(part)).decode("ascii") == part
    except BadData:
        return False
