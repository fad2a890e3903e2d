"""The DynamoDB the functions use: an embedded moto server that serve starts and stops, or a given endpoint.

The table comes from `api/table.py`, the definition Terraform's table is checked against.
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
TABLE_MODULE = ROOT / "api" / "table.py"
START_TIMEOUT = 60.0


class DynamoDBError(Exception):
    pass


class MotoProcess:
    """`python -m flask_lambda.moto_server` as a child process; `wait_ready()` gives its endpoint."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask_lambda.moto_server", "--port", "0"],
            cwd=ROOT,
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
            "the embedded DynamoDB (python -m flask_lambda.moto_server) "
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


def client(endpoint: str, region: str) -> Any:
    import boto3  # imported late: a second's work that `--help` and early errors should not pay
    from botocore.config import Config

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        aws_session_token="local",
        config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 2}),
    )


def prepare_table(endpoint: str, table: str, region: str) -> bool:
    """Create `table` as `api/table.py` defines it unless it exists; True when it was created."""
    from botocore.exceptions import BotoCoreError, ClientError

    dynamodb = client(endpoint, region)
    try:
        dynamodb.describe_table(TableName=table)
        return False
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise DynamoDBError(f"DynamoDB at {endpoint} refused DescribeTable for {table!r}: {error}") from None
    except BotoCoreError as error:
        raise DynamoDBError(f"cannot reach DynamoDB at {endpoint}: {error}") from None
    try:
        _table_module().create_table(dynamodb, table)
    except (ClientError, BotoCoreError) as error:
        raise DynamoDBError(f"could not create the table {table!r} at {endpoint}: {error}") from None
    return True


def _table_module() -> Any:
    spec = importlib.util.spec_from_file_location("serve_table_definition", TABLE_MODULE)
    if spec is None or spec.loader is None:
        raise DynamoDBError(f"{TABLE_MODULE} is missing: it defines the users table")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
