"""Starting and stopping serve: Ctrl-C and SIGTERM end every process it started, bad starts fail in one line.

The SIGTERM run goes through `./build.sh serve`, the way users start it, building its own zips.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from flask_lambda.project import Table
from flask_lambda.serve.cli import parse_args
from flask_lambda.serve.routes import RouteTable
from flask_lambda.serve.server import try_command
from tests.conftest import API_DIR, LAYER_DIR, ROOT, RUNTIME_PYTHON
from tests.flask_lambda.conftest import ECHO_DIR, Zips
from tests.flask_lambda.serve.serving import Serve, running

pytestmark = pytest.mark.slow


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


TABLE_MODULE = """TABLE = {
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "BillingMode": "PAY_PER_REQUEST",
}
"""
TABLE_SETTINGS = '[tool.flask-lambda.table]\nname = "things"\ndefinition = "schema:TABLE"\nvariable = "THINGS"\n'


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_signal_stops_serve_and_every_process_it_started(signum: int, zips: Zips, tmp_path: Path) -> None:
    if signum == signal.SIGTERM:
        # With a table in the project, serve also runs the embedded DynamoDB.
        function_dir = shutil.copytree(ECHO_DIR, tmp_path / "echo")
        (function_dir / "schema.py").write_text(TABLE_MODULE)
        (function_dir / "pyproject.toml").write_text(TABLE_SETTINGS)
        serve = Serve("--function-dir", str(function_dir), command=["bash", str(ROOT / "build.sh"), "serve"])
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
        (["--function-dir", str(API_DIR)], Table("users", "table:SERVED_TABLE", "USERS_TABLE")),
        (["--function-dir", str(API_DIR), "--table", "t2"], Table("t2", "table:SERVED_TABLE", "USERS_TABLE")),
        (["--function-dir", str(ECHO_DIR)], None),
        (["--function-zip", "function.zip"], None),
    ],
)
def test_the_table_is_the_projects_own(args: list[str], table: Table | None) -> None:
    assert parse_args(args).function.table == table


def test_a_table_name_for_a_project_without_a_table_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        parse_args(["--function-dir", str(ECHO_DIR), "--table", "things"])
    assert raised.value.code == 2
    assert "--table things: the project names no table definition" in capsys.readouterr().err


def test_the_projects_settings_reach_the_options(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.flask-lambda]\napp = "web:app"\nroutes = ["GET /hello"]\nsecrets = ["KEY"]\n'
        '[tool.flask-lambda.env]\nGREETING = "hi"\nLEVEL = "1"\n'
    )
    options = parse_args(["--function-dir", str(tmp_path), "--env", "LEVEL=2"])
    assert options.routes == ("GET /hello",)
    assert options.function.app == "web:app"
    assert options.function.secrets == ("KEY",)
    assert options.function.variables == {"GREETING": "hi", "LEVEL": "2"}, "--env wins over the project"
    assert parse_args(["--function-dir", str(tmp_path), "--env", "LAMBDA_WSGI_APP=x:y"]).function.app == "x:y"


@pytest.mark.parametrize(
    ("routes", "authorization", "expected"),
    [
        (("$default",), None, "curl -i http://127.0.0.1:8000/"),
        (("$default",), "--jwt-claims", "curl -i -H 'authorization: Bearer local' http://127.0.0.1:8000/"),
        (
            ("POST /users", "GET /users/{id}", "GET /users"),
            "--iam-principal",
            "curl -i -H 'authorization: AWS4-HMAC-SHA256 local' http://127.0.0.1:8000/users",
        ),
    ],
)
def test_the_try_line_fits_what_is_served(routes: tuple[str, ...], authorization: str | None, expected: str) -> None:
    flags = {"--jwt-claims": ["--jwt-claims", "{}"], "--iam-principal": ["--iam-principal", ROLE]}
    authorizer = parse_args(flags.get(authorization or "", [])).authorizer
    assert try_command("http://127.0.0.1:8000", RouteTable(routes), authorizer) == expected


def test_the_function_is_named_after_its_folder_as_new_names_it(tmp_path: Path) -> None:
    folder = tmp_path / "Hello Site"
    folder.mkdir()
    assert parse_args(["--function-dir", str(folder)]).function.name == "hello-site"
    assert parse_args(["--function-dir", str(API_DIR)]).function.name == "api"


@pytest.mark.parametrize("command", ["serve", "invoke"])
def test_help_needs_nothing_but_the_standard_library(command: str) -> None:
    """`./build.sh serve --help` runs on a Python without the dev venv: h11 and boto3 are imported only to serve."""
    environment = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{LAYER_DIR}"}
    completed = subprocess.run(
        [sys.executable, "-S", "-m", "flask_lambda", command, "--help"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith(f"usage: flask-lambda {command}")
