"""Command events: `{"flask-lambda": {"command": [...]}}` runs the app's Flask CLI as `flask ...` would locally.

Only callers allowed lambda:InvokeFunction send one: no HTTP event is ever read as a command.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shlex
import sys
import threading
import traceback
from contextlib import redirect_stderr, redirect_stdout
from typing import Any, TypedDict

from .errors import CommandFailedError

logger = logging.getLogger("lambda_wsgi")

# The top-level key that makes an event a command event, and nothing else does.
COMMAND_KEY = "flask-lambda"
# The most output a result carries, as JSON text: far under Lambda's 6 MB response, whatever the output holds.
OUTPUT_LIMIT = 1024 * 1024
# How much of the output's end a `CommandFailedError` quotes.
TAIL_CHARS = 500
USAGE_ERROR = 2

# What FlaskGroup sets for the whole process; a command event must leave the environment as it found it.
_CLI_FLAG = "FLASK_RUN_FROM_CLI"


class CommandResult(TypedDict):
    exitCode: int
    output: str
    outputTruncated: bool


def is_command(event: dict[str, Any]) -> bool:
    return COMMAND_KEY in event


def run(app: Any, event: dict[str, Any], request_id: str) -> CommandResult:
    """Run the command event's arguments through the app's Flask CLI; raise if it fails and asks to."""
    body = event[COMMAND_KEY]
    fail_on_error = body.get("failOnError", False) if isinstance(body, dict) else False
    problem = _problem(body, fail_on_error)
    args: list[str] = body["command"] if problem is None else []
    if problem is not None:
        output = f"malformed command event: {problem}\n"
        result = CommandResult(exitCode=USAGE_ERROR, output=output, outputTruncated=False)
    elif not _is_flask(app):
        output = f"commands need a Flask app or Blueprint, but the function serves a {type(app).__name__}\n"
        result = CommandResult(exitCode=USAGE_ERROR, output=output, outputTruncated=False)
    else:
        result = _run(app, args, request_id)
    if result["exitCode"] != 0 and fail_on_error is True:
        tail = result["output"][-TAIL_CHARS:]
        raise CommandFailedError(f"{_command_line(args)} exited with status {result['exitCode']}; output ends: {tail}")
    return result


def _problem(body: Any, fail_on_error: Any) -> str | None:
    if not isinstance(body, dict):
        return f"{COMMAND_KEY!r} must be an object, not {type(body).__name__}"
    args = body.get("command")
    if not isinstance(args, list) or not all(isinstance(arg, str) for arg in args):
        return "'command' must be a list of strings (the arguments after `flask`)"
    if not isinstance(fail_on_error, bool):
        return f"'failOnError' must be true or false, not {type(fail_on_error).__name__}"
    unknown = sorted(set(body) - {"command", "failOnError"})
    if unknown:
        return f"unknown field(s): {', '.join(unknown)}"
    return None


def _is_flask(app: Any) -> bool:
    flask = sys.modules.get("flask")  # a Flask app means Flask is imported already
    return flask is not None and isinstance(app, flask.Flask)


def _run(app: Any, args: list[str], request_id: str) -> CommandResult:
    from flask.cli import FlaskGroup, routes_command

    # The app that serves HTTP, as is: no .env files, no FLASK_DEBUG, and of the default commands only
    # `routes` (`run` and `shell` wait for a terminal the function doesn't have).
    cli = FlaskGroup(
        create_app=lambda: app,
        add_default_commands=False,
        add_version_option=False,
        load_dotenv=False,
        set_debug_flag=False,
    )
    cli.add_command(routes_command)
    sink = _Tail(OUTPUT_LIMIT)
    stream = io.TextIOWrapper(io.BufferedWriter(sink), encoding="utf-8", errors="replace", line_buffering=True)
    handler = _log_handler(stream, app)
    root = logging.getLogger()
    root.addHandler(handler)
    saved_cli_flag = os.environ.get(_CLI_FLAG)
    try:
        with redirect_stdout(stream), redirect_stderr(stream):
            exit_code, error = _main(cli, args, stream)
    finally:
        root.removeHandler(handler)
        _restore_cli_flag(saved_cli_flag)  # FlaskGroup sets it for the process
        stream.flush()
    if error is not None:  # logged once the capture ends, so the line reaches the function's log alone
        logger.error("%s (request id %s) raised %s: %s", _command_line(args), request_id, type(error).__name__, error)
    output, truncated = sink.text()
    return CommandResult(exitCode=exit_code, output=output, outputTruncated=truncated)


def _main(cli: Any, args: list[str], stream: io.TextIOWrapper) -> tuple[int, BaseException | None]:
    """Run the CLI as the `flask` script does (click's standalone mode): its exit status, and what it raised."""
    try:
        cli.main(args=args, prog_name="flask", standalone_mode=True)
    except SystemExit as exit:
        return _exit_status(exit.code, stream), None
    except BaseException as error:
        traceback.print_exc(file=stream)
        return 1, error
    return 0, None


def _exit_status(code: object, stream: io.TextIOWrapper) -> int:
    """What a process exiting with `sys.exit(code)` would report."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=stream)
    return 1


def _log_handler(stream: io.TextIOWrapper, app: Any) -> logging.Handler:
    """A root handler that copies the command's log records into its output, as a terminal would show them."""
    from flask.logging import default_handler

    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    thread = threading.get_ident()
    # Without a telemetry fd (emulators, `serve`) the runtime interface client logs to sys.stdout, captured already.
    runtime_writes_stdout = any(
        type(getattr(other, "log_sink", None)).__name__ == "StandardLogSink" for other in logging.getLogger().handlers
    )

    def not_written_yet(record: logging.LogRecord) -> bool:
        if runtime_writes_stdout or record.thread != thread:  # another thread's lines are not the command's
            return False
        # Flask's own handler writes app.logger's records to sys.stderr, which is captured already.
        return not (record.name == app.logger.name and default_handler in app.logger.handlers)

    handler.addFilter(not_written_yet)
    return handler


def _restore_cli_flag(value: str | None) -> None:
    if value is None:
        os.environ.pop(_CLI_FLAG, None)
    else:
        os.environ[_CLI_FLAG] = value


def _command_line(args: list[str]) -> str:
    return shlex.join(["flask", *args])


class _Tail(io.RawIOBase):
    """Keeps the last bytes written (a command may print without end) and counts those dropped."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.kept = bytearray()
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.kept += chunk
        if len(self.kept) > 2 * self.limit:  # trimmed in steps, so a long run of small writes copies little
            self._drop(len(self.kept) - self.limit)
        return len(chunk)

    def _drop(self, count: int) -> None:
        del self.kept[:count]
        self.dropped += count

    def text(self) -> tuple[str, bool]:
        """The output, cut to its end with a first line saying how much went when it is too long for a result."""
        text = self.kept.decode("utf-8", "replace")
        if self.dropped == 0 and _json_chars(text) <= self.limit:
            return text, False
        kept = text
        while _json_chars(kept) > self.limit:
            # JSON escapes can make a character up to 12 bytes: shrink until the escaped text fits.
            kept = kept[len(kept) - max(1, len(kept) * self.limit // (_json_chars(kept) + 1)) :]
        cut = self.dropped + len(text.encode()) - len(kept.encode())
        return f"[{cut} bytes of earlier output cut]\n{kept}", True


def _json_chars(text: str) -> int:
    return len(json.dumps(text).encode())
