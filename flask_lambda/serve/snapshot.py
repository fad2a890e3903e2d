"""`serve --snap-start`: one environment initialises for SnapStart and becomes the snapshot; the others fork from it.

As on Lambda, init and the before-snapshot hooks run once; every environment then starts from that memory, runs the
after-restore hooks and serves, so what a snapshot shares between environments shows locally. A before-snapshot
hook that fails stops serve with its error; an after-restore hook that fails ends that environment, unused.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO

from .logs import Output
from .pool import FunctionConfig
from .runtime_api import RuntimeApi

BOOTSTRAP = Path(__file__).with_name("snapshot_bootstrap.py")


class SnapshotError(Exception):
    """The snapshot could not be taken: init or a before-snapshot hook failed."""


class Restored:
    """An environment forked from the snapshot: not serve's child, so its end is watched through a pidfd."""

    def __init__(self, pid: int, fifo: Path) -> None:
        self.pid = pid
        self._fifo = fifo
        self._pidfd = os.pidfd_open(pid)

    def output(self) -> IO[bytes] | None:
        return open(self._fifo, "rb")

    def wait(self) -> int | None:
        select.select([self._pidfd], [], [])
        os.close(self._pidfd)
        return None  # another process's child: its exit status is not serve's to collect


class Snapshot:
    def __init__(self, config: FunctionConfig, output: Output, workspace: Path) -> None:
        self._output = output
        self._fifos = workspace / "restored-output"
        self._fifos.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.runtime = RuntimeApi()
        orders_read, self._orders = os.pipe()
        self._replies, replies_write = os.pipe()
        environment = dict(config.environment)
        environment["AWS_LAMBDA_RUNTIME_API"] = self.runtime.address
        environment["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start"
        environment["LAMBDA_SERVE_SNAPSHOT_FDS"] = f"{orders_read},{replies_write}"
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(
            [str(config.runtime_python), "-c", BOOTSTRAP.read_text(), config.handler],
            cwd=config.task_root,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(orders_read, replies_write),
            start_new_session=True,
        )
        os.close(orders_read)
        os.close(replies_write)
        self._replies_file = os.fdopen(self._replies, "r")
        self._pump = threading.Thread(target=self._copy_output, name="snapshot-output", daemon=True)
        self._pump.start()

    def wait_ready(self, timeout: float) -> float:
        """Wait for init and the before-snapshot hooks; the seconds they took."""
        ready, _, _ = select.select([self._replies_file], [], [], timeout)
        line = self._replies_file.readline().strip() if ready else ""
        if line != "ready":
            self.close()
            why = self.runtime.init_error or (
                f"it did not finish within {timeout:.0f} seconds" if not ready else "the snapshot process ended"
            )
            raise SnapshotError(f"SnapStart: init or a before-snapshot hook failed, no snapshot was taken: {why}")
        return time.perf_counter() - self.started_at

    def restore(self, runtime_api: str, name: str) -> Restored:
        """Fork an environment from the snapshot that polls `runtime_api`; its output comes through a FIFO."""
        fifo = self._fifos / name
        with contextlib.suppress(FileNotFoundError):
            fifo.unlink()
        os.mkfifo(fifo)
        with self._lock:
            try:
                os.write(self._orders, f"{runtime_api} {fifo}\n".encode())
                reply = self._replies_file.readline().strip()
            except OSError:
                reply = ""
        if not reply.isdigit():
            raise OSError("the snapshot process is gone; restart serve")
        return Restored(int(reply), fifo)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._orders)  # the snapshot process ends when its orders do
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.runtime.close()
        self._pump.join(timeout=5)

    def _copy_output(self) -> None:
        stream = self.process.stdout
        if stream is None:
            return
        with stream:
            for raw in stream:
                text = raw.decode(errors="replace").rstrip("\r\n").replace("\r", "\n")
                self._output.function("\n".join("[snapshot] " + line for line in text.split("\n")))
