"""Start `python -m tools.serve` in the background for a run, on a free port, and stop it afterwards.

serve prints a line per request; it is read and dropped (the last lines are kept to explain a failed start).
"""

from __future__ import annotations

import collections
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"Serving the API at (http://\S+)")
START_SECONDS = 300.0  # the first run builds the layer with pip


class ServeError(Exception):
    """serve did not start; the message holds its last lines."""


class Serve:
    """One serve process, started with `args` after `--port 0`, its function environment extended by `env`."""

    def __init__(self, args: Sequence[str], env: dict[str, str] | None = None, python: str = sys.executable) -> None:
        environment = os.environ | (env or {})
        self.process = subprocess.Popen(
            [python, "-m", "tools.serve", "--port", "0", *args],
            cwd=ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        self.tail: collections.deque[str] = collections.deque(maxlen=40)
        self.url = ""
        self._ready = threading.Event()
        self._readers = [
            threading.Thread(target=self._read, args=(stream,), daemon=True)
            for stream in (self.process.stdout, self.process.stderr)
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            self.tail.append(line.rstrip("\n"))
            match = READY.search(line)
            if match and not self.url:
                self.url = match[1]
                self._ready.set()
        self._ready.set()  # serve ended: stop waiting

    def wait_ready(self, timeout: float = START_SECONDS) -> str:
        self._ready.wait(timeout)
        if not self.url:
            self.stop()
            raise ServeError("serve did not start:\n" + "\n".join(self.tail))
        return self.url

    def stop(self, timeout: float = 30.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for reader in self._readers:
            reader.join(5)

    def __enter__(self) -> Serve:
        self.wait_ready()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
