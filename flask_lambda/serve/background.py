"""Run serve in the background on a free port, for the load tools and the tests: started, known ready, stopped.

serve says it is ready with a JSON line, `{"type": "ready", "url": ...}`, after its lines for people; that is read.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Self
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 300.0  # the first run builds the layer with pip
TAIL = 40  # lines worth keeping of a long run: enough to explain a failed start


class ServeStartError(Exception):
    """serve did not start; the message holds its output."""


class ServeStopError(Exception):
    """serve did not stop when asked and was killed."""


class BackgroundServe:
    """One serve process, started with `args` after `--port 0`; its output is read into `stdout` and `stderr`.

    `command` is what starts serve (`python -m flask_lambda.serve` by default), `env` its whole environment (this
    process's by default), `cwd` where it starts (the checkout holding flask_lambda by default), `keep` how many
    recent lines of each stream to keep (all by default).
    """

    start_timeout = START_TIMEOUT

    def __init__(
        self,
        args: Sequence[str],
        *,
        command: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path = ROOT,
        keep: int | None = None,
    ) -> None:
        self.process = subprocess.Popen(
            [*(command or [sys.executable, "-m", "flask_lambda.serve"]), "--port", "0", *args],
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.url = ""
        self.port = 0
        self._keep = keep
        self._changed = threading.Condition()
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.stdout), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, self.stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def wait_ready(self, timeout: float | None = None) -> Self:
        """Wait for serve's ready line; `ServeStartError` (serve stopped) if it ends or times out first."""
        if not self._wait(lambda: bool(self.url), self.start_timeout if timeout is None else timeout):
            with contextlib.suppress(ServeStopError):
                self.stop()
            raise ServeStartError(f"serve did not start:\n{self.output()}")
        return self

    def wait_for_line(self, lines: list[str], matches: Callable[[str], object], timeout: float) -> str | None:
        """The first of `lines` (`stdout` or `stderr`) that `matches`, waiting for it up to `timeout` seconds."""
        found: str | None = None

        def seen() -> bool:
            nonlocal found
            found = next((line for line in lines if matches(line)), None)
            return found is not None

        self._wait(seen, timeout)
        return found

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Signal serve and wait for it to end: its exit status. One still running after `timeout` is killed."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise ServeStopError(f"serve did not stop within {timeout}s:\n{self.output()}") from None
        finally:
            for reader in self._readers:
                reader.join(timeout=10)
        return code

    def output(self) -> str:
        with self._changed:
            return "\n".join(["--- stdout", *self.stdout, "--- stderr", *self.stderr])

    def __enter__(self) -> Self:
        return self.wait_ready()

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(ServeStopError):  # killed instead: the run is over either way
            self.stop()

    def _read(self, stream: IO[str] | None, lines: list[str]) -> None:
        assert stream is not None
        for raw in stream:
            line = raw.rstrip("\n")
            with self._changed:
                lines.append(line)
                if self._keep is not None and len(lines) > 2 * self._keep:
                    del lines[: -self._keep]
                if lines is self.stdout and not self.url:
                    self._note_ready(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def _note_ready(self, line: str) -> None:
        if not line.startswith("{"):
            return
        try:
            record = json.loads(line)
        except ValueError:
            return
        if isinstance(record, dict) and record.get("type") == "ready":
            url = str(record["url"])
            self.url, self.port = url, urlsplit(url).port or 0

    def _wait(self, done: Callable[[], bool], timeout: float) -> bool:
        """Wait until `done()` (asked with the lines locked), serve's output ended, or `timeout`: whether done."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                if done():
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.process.poll() is not None and not self._reading()):
                    return False
                self._changed.wait(min(remaining, 0.5))

    def _reading(self) -> bool:
        return any(reader.is_alive() for reader in self._readers)
