"""Lambda's streaming frame as it arrives from the Runtime API: the JSON prelude, then the body's bytes.

serve's front and `invoke --stream` hand each part on as soon as it is whole, as a function URL does.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from lambda_wsgi.streaming import DELIMITER

if TYPE_CHECKING:
    from .pool import Outcome

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


class StreamAbortedError(Exception):
    """The function's stream ended in an error (its trailers, a timeout): the response can only be cut short."""


class StreamRelay:
    """One invocation on a thread of its own, its streamed answer handed over as it arrives.

    `first()` waits for the prelude (or the end, for an answer that was not streamed); `body()` then yields each
    piece as it comes. `stop()` tells the function's stream that its caller went away.
    """

    def __init__(self, invoke: Callable[[Callable[[bytes], object]], Outcome]) -> None:
        self._items: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._stopped = False
        self._splitter = FrameSplitter(lambda prelude: self._items.put(("prelude", prelude)), self._body_piece)
        self.outcome: Outcome | None = None
        self.error: BaseException | None = None  # what the invocation itself raised (throttled, closing...)
        self._thread = threading.Thread(target=self._run, args=(invoke,), name="stream-relay", daemon=True)
        self._thread.start()

    def first(self) -> dict[str, Any] | None:
        """The prelude, or None when the invocation ended without one (see `outcome` and `error`)."""
        kind, value = self._items.get()
        return value if kind == "prelude" else None

    def body(self) -> Iterator[bytes]:
        while True:
            kind, value = self._items.get()
            if kind == "body":
                yield value
                continue
            outcome = self.outcome
            if outcome is None or outcome.error is not None:
                raise StreamAbortedError(outcome.error if outcome is not None else "the invocation failed")
            return

    def stop(self) -> None:
        self._stopped = True

    def _body_piece(self, piece: bytes) -> None:
        if self._stopped:  # raised into the Runtime API's reading, which ends the invocation's stream there
            raise StreamAbortedError("the client went away")
        self._items.put(("body", piece))

    def _run(self, invoke: Callable[[Callable[[bytes], object]], Outcome]) -> None:
        try:
            self.outcome = invoke(self._splitter)
        except BaseException as error:  # handed to the request's thread, which answers it
            self.error = error
        finally:
            self._items.put(("end", None))
