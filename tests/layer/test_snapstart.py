"""SnapStart: the layer primes the app before the snapshot and makes restored environments unique, in a set order.

Each test runs a fresh interpreter laid out as Lambda's (the function, then the layer, on sys.path) and drives the
hooks the way awslambdaric does at a snapshot and a restore; a restore is a fork of the snapshot process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LAYER_DIR

FUNCTION_DIR = Path(__file__).resolve().parent / "snapstart_function"

# Snapshot, then restore twice (two forks of the snapshot), each restored environment serving two requests.
DRIVER = """
import json, logging, os, random, sys
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
import main, routes
from awslambdaric.lambda_runtime_hooks_runner import run_after_restore, run_before_snapshot

def event(path):
    return {"version": "2.0", "rawPath": path, "rawQueryString": "", "headers": {"host": "x.execute-api.local"},
            "requestContext": {"http": {"method": "GET", "path": path, "sourceIp": "1.2.3.4"}, "stage": "$default",
                               "domainName": "x.execute-api.local", "requestId": "r"}}

class Context:
    aws_request_id = "req-1"

run_before_snapshot()
sys.stdout.write(json.dumps({"snapshot": list(routes.ran)}) + "\\n")
sys.stdout.flush()
memory = random.getstate()
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        random.setstate(memory)  # a restore brings back memory as it was; fork alone would reseed `random`
        run_after_restore()
        first = json.loads(main.handler(event("/draw"), Context())["body"])
        main.handler(event("/draw"), Context())
        sys.stdout.write(json.dumps({"restored": first}) + "\\n")
        sys.stdout.flush()
        os._exit(0)
    os.waitpid(pid, 0)
"""


def run(**variables: str) -> tuple[list[dict[str, Any]], list[str]]:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": f"{FUNCTION_DIR}{os.pathsep}{LAYER_DIR}",
        "PYTHONNOUSERSITE": "1",
        "LAMBDA_WSGI_ACCESS_LOG": "on",
        **variables,
    }
    completed = subprocess.run(
        [sys.executable, "-c", DRIVER], capture_output=True, text=True, check=False, env=environment, cwd=FUNCTION_DIR
    )
    assert completed.returncode == 0, completed.stderr
    return [json.loads(line) for line in completed.stdout.splitlines()], completed.stderr.splitlines()


def access_lines(logged: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in logged if line.startswith('{"type":"access"')]


def test_the_app_is_primed_before_its_own_hooks_and_writes_no_access_line() -> None:
    (snapshot, *_), logged = run(AWS_LAMBDA_INITIALIZATION_TYPE="snap-start")
    assert snapshot == {"snapshot": ["request /__lambda_wsgi__/prime", "app before-snapshot"]}
    assert [line["requestId"] for line in access_lines(logged)] == ["req-1"] * 4  # the requests, not the priming


def test_the_prime_path_can_be_chosen_or_priming_left_out() -> None:
    (snapshot, *_), _ = run(AWS_LAMBDA_INITIALIZATION_TYPE="snap-start", LAMBDA_WSGI_PRIME_PATH="/draw")
    assert snapshot["snapshot"][0] == "request /draw"
    (snapshot, first, _), _ = run(AWS_LAMBDA_INITIALIZATION_TYPE="snap-start", LAMBDA_WSGI_PRIME_PATH="off")
    assert snapshot == {"snapshot": ["app before-snapshot"]}
    assert first["restored"]["ran"][1] == "app after-restore, random reseeded: True"  # the restore hook still runs


def test_each_restored_environment_is_reseeded_before_the_apps_hooks_and_says_restore() -> None:
    (_, first, second), logged = run(AWS_LAMBDA_INITIALIZATION_TYPE="snap-start")
    assert first["restored"]["draw"] != second["restored"]["draw"]
    assert "app after-restore, random reseeded: True" in first["restored"]["ran"]
    # Per environment: the first request after the restore says so, the next is warm.
    assert [line["start"] for line in access_lines(logged)] == ["restore", "warm", "restore", "warm"]


def test_without_snapstart_nothing_is_registered_and_forks_share_the_random_state() -> None:
    (snapshot, first, second), logged = run()
    assert snapshot == {"snapshot": ["app before-snapshot"]}  # no priming
    assert first["restored"]["draw"] == second["restored"]["draw"]  # what SnapStart would copy, left alone
    assert [line["start"] for line in access_lines(logged)] == ["cold", "warm", "cold", "warm"]


@pytest.mark.parametrize("module", ["snapshot_restore_py"])
def test_a_runtime_without_the_hooks_module_still_serves(tmp_path: Path, module: str) -> None:
    """Outside Lambda the module may be missing: the layer says so once and serves as usual."""
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text(f"import sys\nsys.modules[{module!r}] = None\n")
    script = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stderr, format='%(message)s')\n"
        "import main\n"
        "print(main.handler({'version': '2.0', 'rawPath': '/x', 'requestContext': {'http': {'method': 'GET'}}}, None)"
        "['statusCode'])\n"
    )
    plain = tmp_path / "routes.py"
    plain.write_text("from flask import Blueprint\nroutes = Blueprint('routes', __name__)\n")
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(LAYER_DIR)]),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start",
    }
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, env=environment, cwd=tmp_path
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "404"
    assert "snapshot_restore_py is missing" in completed.stderr
