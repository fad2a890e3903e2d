"""The base64 codec for request and response bodies: pybase64's SIMD code when it loads, else the standard library.

Both give the same bytes and raise the same errors, so which one runs is a matter of speed only.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from functools import cache


class Base64Codec:
    """A base64 encoder and decoder that give the same bytes and raise the same errors as the standard library's."""

    # A plain class: a NamedTuple would cost two milliseconds of every cold start to build.
    __slots__ = ("decode", "encode")

    def __init__(self, encode: Callable[[bytes], str], decode: Callable[..., bytes]) -> None:
        self.encode = encode
        self.decode = decode  # (text, validate=True), raising binascii.Error or ValueError


@cache
def codec() -> Base64Codec:
    """pybase64 (in the layer, about 30 times the standard library's speed), else the standard library.

    Loaded at the first base64 body, so a function that never has one pays nothing at start; should
    pybase64's native code not load, the standard library serves.
    """
    try:
        from pybase64 import b64decode, b64encode_as_string
    except (ImportError, OSError):  # also a module of that name without these functions
        return Base64Codec(stdlib_encode, base64.b64decode)
    return Base64Codec(b64encode_as_string, b64decode)


def stdlib_encode(body: bytes) -> str:
    return binascii.b2a_base64(body, newline=False).decode("ascii")
