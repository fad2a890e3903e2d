"""Lambda's streaming frame as it arrives from the Runtime API: the JSON prelude, then the body's bytes.

serve's front and `invoke --stream` hand each part on as soon as it is whole, as a function URL does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from lambda_wsgi.streaming import DELIMITER

# A prelude is a status and headers: anything longer without the delimiter is no frame at all.
MAX_PRELUDE = 1024 * 1024


class MalformedStreamError(Exception):
    """The stream did not start with a JSON prelude and the eight NULs: a function URL answers it 502."""


class FrameSplitter:
    """Feed it a streamed response's bytes as they come; it calls `on_prelude` once, then `on_body` per piece."""

    def __init__(self, on_prelude: Callable[[dict[str, Any]], object], on_body: Callable[[bytes], object]) -> None:
        self._on_prelude = on_prelude
        self._on_body = on_body
        self._head = bytearray()
        self.prelude: dict[str, Any] | None = None

    def __call__(self, chunk: bytes) -> None:
        if self.prelude is not None:
            self._on_body(chunk)
            return
        self._head += chunk
        head, delimiter, body = bytes(self._head).partition(DELIMITER)
        if not delimiter:
            if len(self._head) > MAX_PRELUDE:
                raise MalformedStreamError(f"no prelude delimiter in the first {MAX_PRELUDE} bytes")
            return
        try:
            prelude = json.loads(head)
        except ValueError as error:
            raise MalformedStreamError(f"the prelude is not JSON: {error}") from None
        if not isinstance(prelude, dict):
            raise MalformedStreamError("the prelude is not a JSON object")
        self.prelude = prelude
        self._head.clear()
        self._on_prelude(prelude)
        if body:
            self._on_body(body)
