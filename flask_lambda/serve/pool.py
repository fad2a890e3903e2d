"""Execution environments: `awslambdaric` processes, started cold on demand, reused warm, replaced when they die.

Up to `concurrency` environments run at once; a request finding them all busy waits for one, as a queue would.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from .logs import Output
from .runtime_api import Invocation, RuntimeApi

if TYPE_CHECKING:  # snapshot.py builds on this module's FunctionConfig
    from .snapshot import Snapshot

ExitCallback = Callable[["Environment", str], None]

# How long API Gateway waits for an integration (HTTP API's maximum): no request waits longer for an environment.
QUEUE_TIMEOUT = 30.0
STOP_GRACE = 1.0


@dataclass(frozen=True)
class FunctionConfig:
    """What every environment of the function shares."""

    runtime_python: Path
    task_root: Path
    environment: dict[str, str]
    function_arn: str
    timeout: float
    init_timeout: float = 10.0
    handler: str = "main.handler"


@dataclass(frozen=True)
class Outcome:
    """How one invocation went, for the response and the access line."""

    request_id: str
    environment: str
    cold: bool
    result: bytes | None
    error: str | None
    streamed: bool = False  # `result` is Lambda's streaming frame: a JSON prelude, eight NULs, the body
    init_ms: float | None = None  # a cold start's init, or a restored environment's restore and after-restore hooks
    restored: bool = False  # the environment came from a SnapStart snapshot


class ThrottledError(Exception):
    """Every environment stayed busy for the whole wait."""


class PoolClosedError(Exception):
    pass


class Process(Protocol):
    """An environment's process: a child serve started, or one restored from a snapshot (see snapshot.py)."""

    pid: int

    def output(self) -> IO[bytes] | None:
        """Its standard output and error, together (may wait until the process opens its end)."""

    def wait(self) -> int | None:
        """Wait for it to end; its exit status when known."""


class _Child:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.pid = process.pid

    def output(self) -> IO[bytes] | None:
        return self.process.stdout

    def wait(self) -> int | None:
        return self.process.wait()


class Environment:
    """One execution environment: an `awslambdaric` process and the Runtime API it polls."""

    def __init__(
        self,
        number: int,
        config: FunctionConfig,
        output: Output,
        on_exit: ExitCallback,
        restore: Callable[[str, str], Process] | None = None,
    ) -> None:
        """`restore(runtime_api, name)` makes the process from a snapshot instead of starting one (SnapStart)."""
        self.name = f"env-{number}"
        self.restored = restore is not None
        self._config = config
        self._output = output
        self._on_exit = on_exit
        self._lock = threading.Lock()
        self._current: Invocation | None = None
        # Whose lines the output is: "init" until the first event, then the latest invocation's request id.
        self._label = f"[{self.name} init] "
        self.exit_reason: str | None = None
        self.runtime = RuntimeApi()
        self.started_at = time.perf_counter()
        environment = dict(config.environment)
        environment["AWS_LAMBDA_RUNTIME_API"] = self.runtime.address
        environment["AWS_LAMBDA_LOG_STREAM_NAME"] = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        try:
            if restore is not None:
                self.process: Process = restore(self.runtime.address, self.name)
            else:
                self.process = _Child(
                    subprocess.Popen(
                        [*_wrapper(environment), str(config.runtime_python), "-m", "awslambdaric", config.handler],
                        cwd=config.task_root,
                        env=environment,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT,
                        # A session of its own: the terminal's Ctrl-C reaches serve only, and a kill reaches the
                        # environment together with anything the function started.
                        start_new_session=True,
                    )
                )
        except OSError:
            self.runtime.close()
            raise
        self.pid = self.process.pid
        self._pump = threading.Thread(target=self._copy_output, name=f"{self.name}-output", daemon=True)
        self._pump.start()
        self._watcher = threading.Thread(target=self._watch, name=f"{self.name}-watch", daemon=True)
        self._watcher.start()

    @property
    def alive(self) -> bool:
        return self.exit_reason is None

    def run(self, invocation: Invocation, cold: bool) -> float | None:
        """Hand the event over and wait for its outcome; returns a cold start's init duration in seconds."""
        with self._lock:
            if not self.alive:
                invocation.finish(error=self.exit_reason)
                return None
            self._current = invocation
            self._label = f"[{self.name} {invocation.request_id}] "
        self.runtime.deliver(invocation)
        init_seconds = None
        if not invocation.started.wait(self._config.init_timeout):
            phase = "init" if cold else "the runtime"
            self.kill(f"{phase} did not ask for an event within {self._config.init_timeout:.0f} seconds")
        elif not invocation.done.wait(self._config.timeout):
            self.kill(f"Task timed out after {self._config.timeout:.2f} seconds")
        if cold and self.runtime.ready_at is not None:
            init_seconds = self.runtime.ready_at - self.started_at
        with self._lock:
            self._current = None
        if not self.alive:
            self._watcher.join(timeout=5)  # reaped and out of the pool before the caller moves on
        return init_seconds

    def kill(self, reason: str) -> None:
        """End the environment now (a timeout resets it on Lambda too); its invocation fails with `reason`."""
        with self._lock:
            if self._current is not None:
                self._current.finish(error=reason)
        self._signal(signal.SIGKILL)
        self._watcher.join(timeout=5)

    def stop(self) -> None:
        """Ask the environment to end, as Lambda does at shutdown; `finish_stop` waits and insists."""
        self._signal(signal.SIGTERM)

    def finish_stop(self, deadline: float) -> None:
        self._watcher.join(timeout=max(0.0, deadline - time.monotonic()))
        if self._watcher.is_alive():
            self._signal(signal.SIGKILL)
        self._watcher.join(timeout=5)
        self._pump.join(timeout=5)

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    def _watch(self) -> None:
        code = self.process.wait()
        # The function may have started processes of its own that still hold the output pipe open.
        self._signal(signal.SIGKILL)
        init_error = self.runtime.init_error
        if init_error:
            reason = f"init failed: {init_error}"
        elif self.runtime.restore_error:
            reason = f"restore failed: {self.runtime.restore_error}"
        elif code is None:
            reason = "Runtime exited"
        elif code < 0:
            reason = f"Runtime exited with signal: {signal.Signals(-code).name}"
        else:
            reason = f"Runtime exited with error: exit status {code}"
        with self._lock:
            self.exit_reason = reason
            current = self._current
        if current is not None:
            current.finish(error=reason)
        self.runtime.close()
        self._on_exit(self, reason)

    def _copy_output(self) -> None:
        stream = self.process.output()
        if stream is None:
            return
        with stream:
            for raw in stream:
                # awslambdaric ends the lines of one multi-line record with "\r" (one CloudWatch event).
                text = raw.decode(errors="replace").rstrip("\r\n").replace("\r", "\n")
                label = self._label
                self._output.function("\n".join(label + line for line in text.split("\n")))


class Pool:
    """The function's environments: idle ones are reused most recent first, new ones start up to `concurrency`."""

    def __init__(
        self,
        config: FunctionConfig,
        concurrency: int,
        output: Output,
        snapshot: Snapshot | None = None,
    ) -> None:
        """With a `snapshot` (SnapStart), new environments are restored from it instead of started cold."""
        self._config = config
        self._snapshot = snapshot
        self._concurrency = concurrency
        self._output = output
        self._condition = threading.Condition()
        self._environments: set[Environment] = set()
        self._idle: list[Environment] = []
        self._numbers = itertools.count(1)
        self._closed = False

    def invoke(self, payload: bytes, trace_id: str, sink: Callable[[bytes], object] | None = None) -> Outcome:
        """Run `payload` in an environment; a streamed response's bytes go to `sink` as they arrive, if given."""
        environment, cold = self._acquire()
        invocation = Invocation(
            request_id=str(uuid.uuid4()),
            payload=payload,
            timeout=self._config.timeout,
            trace_id=trace_id,
            function_arn=self._config.function_arn,
            sink=sink,
        )
        try:
            init_seconds = environment.run(invocation, cold)
        finally:
            self._release(environment)
        return Outcome(
            request_id=invocation.request_id,
            environment=environment.name,
            cold=cold,
            result=invocation.result,
            error=invocation.error,
            streamed=invocation.streamed,
            init_ms=None if init_seconds is None else round(init_seconds * 1000, 1),
            restored=environment.restored,
        )

    def close(self) -> None:
        with self._condition:
            self._closed = True
            environments = list(self._environments)
            self._condition.notify_all()
        for environment in environments:
            environment.stop()
        deadline = time.monotonic() + STOP_GRACE
        for environment in environments:
            environment.finish_stop(deadline)
        if self._snapshot is not None:
            self._snapshot.close()

    def retire(self, grace: float) -> None:
        """Close once the invocations under way have finished (or `grace` seconds have passed): after a reload."""
        deadline = time.monotonic() + grace
        with self._condition:
            while len(self._idle) < len(self._environments) and (remaining := deadline - time.monotonic()) > 0:
                self._condition.wait(remaining)
        self.close()

    def _acquire(self) -> tuple[Environment, bool]:
        deadline = time.monotonic() + QUEUE_TIMEOUT
        with self._condition:
            while True:
                if self._closed:
                    raise PoolClosedError
                while self._idle:
                    environment = self._idle.pop()
                    if environment.alive:
                        return environment, False
                if len(self._environments) < self._concurrency:
                    environment = Environment(
                        next(self._numbers),
                        self._config,
                        self._output,
                        self._exited,
                        self._snapshot.restore if self._snapshot else None,
                    )
                    self._environments.add(environment)
                    return environment, True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ThrottledError
                self._condition.wait(remaining)

    def _release(self, environment: Environment) -> None:
        with self._condition:
            if environment.alive and environment in self._environments and not self._closed:
                self._idle.append(environment)
            self._condition.notify()

    def _exited(self, environment: Environment, reason: str) -> None:
        with self._condition:
            was_idle = environment in self._idle
            self._environments.discard(environment)
            if was_idle:
                self._idle.remove(environment)
            closed = self._closed
            self._condition.notify()
        if was_idle and not closed:
            self._output.warn(f"{environment.name} (pid {environment.pid}) ended while idle: {reason}")


def _wrapper(environment: dict[str, str]) -> list[str]:
    """The start script `AWS_LAMBDA_EXEC_WRAPPER` names, which Lambda runs with the runtime's command as arguments."""
    wrapper = environment.get("AWS_LAMBDA_EXEC_WRAPPER")
    return [wrapper] if wrapper else []
