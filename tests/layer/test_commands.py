"""Command events: the app's Flask CLI run by the handler, its output and exit status as the result.

The sample Blueprint's commands (`flask sample ...`) are the app's; tests/layer/test_main.py runs one under the runtime.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask import Flask

from lambda_wsgi import Adapter
from lambda_wsgi.app_loader import with_json_errors
from lambda_wsgi.commands import OUTPUT_LIMIT
from lambda_wsgi.errors import CommandFailedError
from tests.conftest import http_event, lambda_context, load_event
from tests.layer.conftest import Invoke, json_body


def command(*args: str, **options: Any) -> dict[str, Any]:
    """tests/events/command.json with other arguments."""
    event: dict[str, Any] = load_event("command")
    event["flask-lambda"] = {"command": list(args), **options}
    return event


def test_a_command_runs_in_the_app_context_with_its_output_and_status(invoke: Invoke) -> None:
    result = invoke(command("sample", "greet", "ada", "--shout"))
    assert result == {
        "exitCode": 0,
        "output": "HELLO ADA FROM TESTS.LAYER.SAMPLE_ROUTES\nto stderr\nWARNING sample: a warning\n",
        "outputTruncated": False,
    }


def test_the_event_of_the_fixture_is_read_as_a_command(invoke: Invoke) -> None:
    result = invoke(load_event("command"))  # the users API's command: the sample app has no `users` group
    assert result["exitCode"] == 2
    assert "No such command 'users'" in result["output"]


def test_a_usage_error_is_exit_status_2_with_click_s_message(invoke: Invoke) -> None:
    result = invoke(command("sample", "greet"))
    assert result["exitCode"] == 2
    assert result["output"].startswith("Usage: flask sample greet [OPTIONS] NAME\n")
    assert "Error: Missing argument 'NAME'." in result["output"]


def test_help_lists_the_blueprint_s_group_and_flask_s_routes(invoke: Invoke) -> None:
    result = invoke(command("--help"))
    assert result["exitCode"] == 0
    assert result["output"].startswith("Usage: flask [OPTIONS] COMMAND [ARGS]...")
    assert "  sample" in result["output"]
    assert "  routes  " in result["output"]
    assert "  run " not in result["output"]  # no server, no shell: the function has no terminal
    assert invoke(command("sample", "--help"))["output"].count("greet") == 1


def test_flask_routes_lists_the_app_s_routes(invoke: Invoke) -> None:
    result = invoke(command("routes"))
    assert result["exitCode"] == 0
    assert "/echo/<path:rest>" in result["output"]


def test_an_exception_is_status_1_with_its_traceback_and_one_log_line(
    adapter: Adapter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="lambda_wsgi"):
        result = adapter(command("sample", "fails"), lambda_context("req-7"))
    assert result["exitCode"] == 1
    assert result["output"].startswith("started\nTraceback (most recent call last):\n")
    assert result["output"].endswith("RuntimeError: the command broke\n")
    assert "UnsupportedEventError" not in result["output"]  # not chained to the refusal of a non-HTTP event
    assert [record.getMessage() for record in caplog.records] == [
        "flask sample fails (request id req-7) raised RuntimeError: the command broke"
    ]


def test_sys_exit_is_the_exit_status(invoke: Invoke) -> None:
    assert invoke(command("sample", "exits", "3")) == {"exitCode": 3, "output": "", "outputTruncated": False}


def test_long_output_keeps_its_end_with_a_note_and_fits_a_lambda_response(invoke: Invoke) -> None:
    lines = 20_000  # 2 MB of output, 106 bytes a line
    result = invoke(command("sample", "loud", str(lines)))
    assert result["exitCode"] == 0
    assert result["outputTruncated"] is True
    note, _, rest = result["output"].partition("\n")
    assert note.startswith("[")
    assert note.endswith(" bytes of earlier output cut]")
    assert rest.endswith(f"line {lines - 1:09d} {'x' * 90}\n")
    cut = int(note[1:].split()[0])
    assert cut + len(rest.encode()) == lines * 106
    assert len(json.dumps(result).encode()) < OUTPUT_LIMIT + 1000


def test_fail_on_error_raises_a_function_error_naming_the_command(invoke: Invoke) -> None:
    with pytest.raises(CommandFailedError) as error:
        invoke(command("sample", "greet", failOnError=True))
    message = str(error.value)
    assert message.startswith("flask sample greet exited with status 2; output ends: ")
    assert message.endswith("Error: Missing argument 'NAME'.\n")
    assert invoke(command("sample", "greet", "ada", failOnError=True))["exitCode"] == 0


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (["users", "count"], "'flask-lambda' must be an object, not list"),
        ({"command": "users count"}, "'command' must be a list of strings"),
        ({"command": ["users", 3]}, "'command' must be a list of strings"),
        ({"command": ["routes"], "failOnError": "yes"}, "'failOnError' must be true or false, not str"),
        ({"command": ["routes"], "fail": True}, "unknown field(s): fail"),
    ],
)
def test_a_malformed_command_event_gets_a_clear_error_result(invoke: Invoke, body: Any, problem: str) -> None:
    result = invoke({"flask-lambda": body})
    assert result["exitCode"] == 2
    assert result["output"].startswith(f"malformed command event: {problem}")


def test_commands_of_the_app_itself_run_too() -> None:
    app = Flask("standalone")

    @app.cli.command("hello")
    def hello() -> None:
        print("hello from the app")

    result = Adapter(with_json_errors(app))(command("hello"), lambda_context())
    assert result == {"exitCode": 0, "output": "hello from the app\n", "outputTruncated": False}


def test_a_plain_wsgi_app_answers_that_commands_need_flask() -> None:
    def wsgi(environ: Any, start_response: Any) -> list[bytes]:
        raise AssertionError("not called")

    result = Adapter(wsgi)(command("routes"), lambda_context())
    assert result["exitCode"] == 2
    assert result["output"] == "commands need a Flask app or Blueprint, but the function serves a function\n"


def test_an_http_event_whose_body_is_a_command_is_served_as_http(invoke: Invoke) -> None:
    body = json.dumps(command("sample", "exits", "3"))
    result = invoke(http_event("POST", "/echo", body=body, content_type="application/json"))
    assert result["statusCode"] == 200
    assert json_body(result)["method"] == "POST"
