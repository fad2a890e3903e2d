"""The DynamoDB the functions use: an embedded moto server that serve starts and stops, or a given endpoint.

The table is the function's own: its project settings name it and the definition its code exports
(docs/project.md); table_setup.py creates it with the runtime's boto3, as the function itself would call DynamoDB.
"""

from __future__ import annotations

import importlib.util
import json
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from flask_lambda import cache
from flask_lambda.project import Table
from flask_lambda.resources import DYNAMODB_REQUIREMENTS

from .logs import Output

HERE = Path(__file__).resolve().parent
MOTO_SERVER = HERE.parent / "moto_server.py"
TABLE_SETUP = HERE / "table_setup.py"
START_TIMEOUT = 60.0
SETUP_TIMEOUT = 120.0


class DynamoDBError(Exception):
    pass


def moto_python(output: Output) -> Path:
    """An interpreter with moto: this one where it has it (a development checkout), else a cached virtualenv."""
    if importlib.util.find_spec("moto") is not None:
        return Path(sys.executable)
    try:
        return cache.pinned_venv("dynamodb", DYNAMODB_REQUIREMENTS, cache.lambda_python(), output.warn)
    except cache.CacheError as error:
        raise DynamoDBError(f"cannot set up the embedded DynamoDB: {error}") from None


class MotoProcess:
    """flask_lambda/moto_server.py as a child process on `python`; `wait_ready()` gives its endpoint."""

    def __init__(self, python: Path) -> None:
        self.process = subprocess.Popen(
            # -I: nothing from the caller's environment or folder comes before moto on the path.
            [str(python), "-I", str(MOTO_SERVER), "--port", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # one line per DynamoDB call: noise next to the request log
            start_new_session=True,  # stopped by serve, not by the terminal's Ctrl-C
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self) -> str:
        stdout = self.process.stdout
        assert stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            readable, _, _ = select.select([stdout], [], [], 0.2)
            if readable:
                line = stdout.readline()
                if not line:
                    break
                return str(json.loads(line)["endpoint"])
            if self.process.poll() is not None:
                break
        code = self.process.poll()
        raise DynamoDBError(
            "the embedded DynamoDB (moto_server.py) "
            + (f"exited with status {code}" if code is not None else f"did not start within {START_TIMEOUT:.0f}s")
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def prepare_table(endpoint: str, table: Table, region: str, function_dir: Path, python: Path) -> bool:
    """Create `table` from its definition unless it exists; True when it was created."""
    command = [str(python), "-I", str(TABLE_SETUP), "--endpoint", endpoint, "--region", region]
    command += ["--name", table.name, "--definition", table.definition, "--function-dir", str(function_dir)]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=SETUP_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise DynamoDBError(f"setting up the table {table.name!r} took over {SETUP_TIMEOUT:.0f}s") from None
    lines = completed.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1])
    except (IndexError, ValueError):
        answer = {"error": (completed.stderr.strip().splitlines() or ["no answer"])[-1]}
    if "error" in answer:
        raise DynamoDBError(
            f"could not set up the table {table.name!r} from {table.definition} at {endpoint}: {answer['error']}"
        )
    return bool(answer["created"])
