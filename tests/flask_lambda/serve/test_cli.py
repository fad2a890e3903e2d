"""Starting and stopping serve: Ctrl-C and SIGTERM end every process it started, bad starts fail in one line.

The SIGTERM run goes through `./build.sh serve`, the way users start it, building its own zips.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from flask_lambda.serve.cli import parse_args
from flask_lambda.serve.server import try_command
from tests.conftest import ROOT
from tests.flask_lambda.conftest import ECHO_DIR, Zips
from tests.flask_lambda.serve.serving import RUNTIME_PYTHON, Serve, running

pytestmark = pytest.mark.slow


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_stops_serve_and_every_process_it_started(signum: int, zips: Zips) -> None:
    if signum == signal.SIGTERM:
        # With a table asked for, serve also runs the embedded DynamoDB.
        serve = Serve(
            "--function-dir", str(ECHO_DIR), "--table", "t", command=["bash", str(ROOT / "build.sh"), "serve"]
        )
        processes = 4
    else:
        serve = Serve("--layer-zip", str(zips.layer), "--function-zip", str(zips.echo))
        processes = 3
    try:
        serve.wait_ready()
        # Three requests at once: three environments.
        with ThreadPoolExecutor(max_workers=3) as executor:
            replies = list(executor.map(lambda _: serve.request("GET", "/sleep?seconds=0.5"), range(3)))
        assert [reply.status for reply in replies] == [200] * 3
        started = serve.descendants()
        assert len(started) >= processes, started
        code = serve.stop(signum)
    finally:
        if serve.process.poll() is None:
            serve.process.kill()
            serve.process.wait()
    assert code == 0, serve.output()
    assert [pid for pid, start_time in started.items() if running(pid, start_time)] == []
    assert _port_is_free(serve.port)
    assert serve.stdout[-1] == "Stopped."
    assert not any("Traceback" in line for line in serve.stderr), serve.output()


def _serve_once(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "flask_lambda.serve", "--runtime-python", str(RUNTIME_PYTHON), *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def test_a_busy_port_is_a_one_line_error() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        completed = _serve_once("--port", str(port))
    assert completed.returncode == 1
    assert completed.stderr.splitlines() == [
        f"serve: error: port {port} on 127.0.0.1 is already in use; stop what uses it or pick --port"
    ]


def test_a_missing_runtime_is_a_one_line_error() -> None:
    completed = _serve_once("--port", "0", "--runtime-python", "/nonexistent/python")
    assert completed.returncode == 1
    [line] = completed.stderr.splitlines()
    assert line.startswith("serve: error: the Lambda runtime interpreter /nonexistent/python is missing")


ROLE = "arn:aws:iam::123456789012:user/ada"


@pytest.mark.parametrize(
    ("args", "table"),
    [
        ([], "users"),  # the sample users API, api/
        (["--function-dir", str(ECHO_DIR)], None),
        (["--function-zip", "function.zip"], None),
        (["--function-dir", str(ECHO_DIR), "--table", "things"], "things"),
    ],
)
def test_only_the_users_api_gets_a_table_without_asking(args: list[str], table: str | None) -> None:
    assert parse_args(args).function.table == table


@pytest.mark.parametrize(
    ("users", "authorization", "expected"),
    [
        (False, None, "curl -i http://127.0.0.1:8000/"),
        (False, "--jwt-claims", "curl -i -H 'authorization: Bearer local' http://127.0.0.1:8000/"),
        (
            True,
            "--iam-principal",
            "curl -i -H 'authorization: AWS4-HMAC-SHA256 local' -X POST http://127.0.0.1:8000/users",
        ),
    ],
)
def test_the_try_line_fits_what_is_served(users: bool, authorization: str | None, expected: str) -> None:
    flags = {"--jwt-claims": ["--jwt-claims", "{}"], "--iam-principal": ["--iam-principal", ROLE]}
    authorizer = parse_args(flags.get(authorization or "", [])).authorizer
    assert try_command("http://127.0.0.1:8000", users=users, authorization=authorizer).startswith(expected)
