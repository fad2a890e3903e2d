"""`flask-lambda command`: its arguments, the event it sends, how it relays the result and says what went wrong."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from flask_lambda import command
from flask_lambda.command import CommandError, CommandOptions, FunctionFailedError
from tests.conftest import LAYER_DIR, ROOT


def test_the_flask_command_comes_after_the_double_dash(tmp_path: Path) -> None:
    options = command.parse_args(["--function", "api", "--", "users", "create", "--admin", "--", "x"])
    assert options.function == "api"
    assert options.args == ("users", "create", "--admin", "--", "x")


def test_plain_words_need_no_double_dash() -> None:
    assert command.parse_args(["--function", "api", "routes"]).args == ("routes",)


def test_the_qualifier_is_the_alias_the_terraform_module_deploys() -> None:
    options = command.parse_args(["--function", "api", "--", "routes"])
    assert options.qualifier == "live"
    alias = (ROOT / "infra" / "modules" / "flask-function" / "variables.tf").read_text()
    assert 'default     = "live"' in alias.split('variable "alias_name"')[1].split("}")[0]
    assert command.parse_args(["--function", "api", "--qualifier", "7", "--", "routes"]).qualifier == "7"


def test_the_function_defaults_to_the_project_folders_name(tmp_path: Path) -> None:
    folder = tmp_path / "Users_API"
    folder.mkdir()
    options = command.parse_args(["--function-dir", str(folder), "--", "routes"])
    assert options.function == "users-api"


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        command.parse_args(["--function", "api", "--"])
    assert raised.value.code == 2
    assert "name the Flask command" in capsys.readouterr().err


def test_the_event_asks_the_layer_to_run_the_command() -> None:
    assert command.command_event(["users", "count"]) == {
        "flask-lambda": {"command": ["users", "count"], "failOnError": False}
    }


OPTIONS = CommandOptions("api", "live", "us-east-1", None, None, ("users", "count"))


def answering(payload: Any, function_error: str | None = None) -> command.Invoker:
    def invoke(options: CommandOptions, sent: bytes) -> dict[str, Any]:
        assert json.loads(sent) == command.command_event(options.args)
        response: dict[str, Any] = {"StatusCode": 200, "Payload": json.dumps(payload).encode()}
        if function_error:
            response["FunctionError"] = function_error
        return response

    return invoke


def test_the_result_carries_the_exit_status_and_the_output() -> None:
    result = command.run_command(OPTIONS, answering({"exitCode": 2, "output": "2 users\n", "outputTruncated": True}))
    assert (result.exit_code, result.output, result.truncated) == (2, "2 users\n", True)


def test_a_function_error_is_its_type_and_message() -> None:
    error = {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 3.00 seconds"}
    with pytest.raises(FunctionFailedError, match=r"^Sandbox.Timedout: Task timed out after 3.00 seconds$"):
        command.run_command(OPTIONS, answering(error, "Unhandled"))


@pytest.mark.parametrize("payload", [{"statusCode": 200}, {"exitCode": "0", "output": ""}, [1], {"exitCode": True}])
def test_a_result_that_is_not_a_commands_says_so(payload: Any) -> None:
    with pytest.raises(CommandError, match="did not answer with a command's result"):
        command.run_command(OPTIONS, answering(payload))


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("ResourceNotFoundException", "no function api:live"),
        ("AccessDeniedException", "need lambda:InvokeFunction"),
        ("UnrecognizedClientException", "credentials were refused"),
        ("TooManyRequestsException", "TooManyRequestsException: nope"),
    ],
)
def test_the_lambda_apis_errors_become_one_line(code: str, said: str) -> None:
    line = command._client_error(OPTIONS, {"Error": {"Code": code, "Message": "nope"}})
    assert said in line
    assert "\n" not in line


def test_main_writes_the_output_as_it_came_and_exits_with_its_status(monkeypatch: pytest.MonkeyPatch) -> None:
    result = command.CommandResult(3, "no newline at the end", truncated=False)
    monkeypatch.setattr(command, "run_command", lambda options: result)
    out = io.StringIO()
    assert command.main(["--function", "api", "--", "x"], out=out) == 3
    assert out.getvalue() == "no newline at the end"


def test_an_exit_status_no_shell_can_carry_is_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command, "run_command", lambda options: command.CommandResult(256, "", truncated=False))
    assert command.main(["--function", "api", "--", "x"], out=io.StringIO()) == 1


@pytest.mark.slow
def test_without_boto3_it_says_how_to_install_it() -> None:
    # A Python that cannot import boto3: the module is blocked before the command runs.
    script = "import sys; sys.modules['boto3'] = None; from flask_lambda.cli import main; sys.exit(main())"
    completed = subprocess.run(
        [sys.executable, "-c", script, "command", "--function", "api", "--", "routes"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}:{LAYER_DIR}"},
        cwd=ROOT,
    )
    assert completed.returncode == 1
    assert completed.stderr.strip() == (
        "flask-lambda command: error: this command needs boto3: pip install 'flask-lambda[aws]'"
    )


@pytest.mark.slow
def test_help_says_a_failed_invocation_exits_1() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "flask_lambda", "command", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}:{LAYER_DIR}", "COLUMNS": "200"},
        cwd=ROOT,
    )
    assert completed.returncode == 0
    assert "the exit status is 1" in completed.stdout
    assert "lambda:InvokeFunction" in completed.stdout
