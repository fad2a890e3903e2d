"""What serve prints: its own lines on stdout (JSON ones for programs), the functions' lines on stderr.

Each line is written whole under one lock, so lines from concurrent requests never interleave.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime
from typing import Any, TextIO


class Output:
    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self._out = out or sys.stdout
        self._err = err or sys.stderr
        self._lock = threading.Lock()

    def say(self, text: str) -> None:
        """A line for the person running serve."""
        self._write(self._out, text)

    def warn(self, text: str) -> None:
        self._write(self._err, f"serve: {text}")

    def record(self, kind: str, **fields: Any) -> None:
        """A JSON line for programs: its time, its `type` (`request` for an access line, `ready`), its fields."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        line = {"time": now, "type": kind, **fields}
        self._write(self._out, json.dumps(line, ensure_ascii=False, separators=(",", ":")))

    def function(self, text: str) -> None:
        """A line a function printed or logged, as CloudWatch would show it, after its environment and request."""
        self._write(self._err, text)

    def _write(self, stream: TextIO, text: str) -> None:
        with self._lock:
            try:
                stream.write(text + "\n")
                stream.flush()
            except (OSError, ValueError):
                pass  # a closed terminal or pipe must not take a request down with it
