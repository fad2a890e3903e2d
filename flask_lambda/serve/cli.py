"""The command lines of `flask-lambda serve` and `flask-lambda invoke`: read once into options, handed to the library.

Nothing past this module sees argparse: serve gets `ServeOptions`, invoke `FunctionOptions` and the event. The
function's folder gives its project settings (flask_lambda.project); options given on the command line win.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask_lambda.project import Project, ProjectError
from lambda_wsgi.settings import APP_VARIABLE, EXEC_WRAPPER, STREAM_VARIABLE

from . import invoke as invoke_module
from .authorizer import Authorizer, AuthorizerError, iam_authorizer, jwt_authorizer
from .function import ServeError
from .invoke import invoke
from .logs import Output
from .options import FunctionOptions, ServeOptions

SERVE_DESCRIPTION = (
    "Serve the function in the current folder (or --function-dir) as API Gateway and Lambda run it: build the zips, "
    "start DynamoDB if the project has a table, and serve until Ctrl-C or SIGTERM."
)


def parse_args(argv: Iterable[str] | None = None, prog: str = "flask-lambda serve") -> ServeOptions:
    parser = argparse.ArgumentParser(prog=prog, description=SERVE_DESCRIPTION)
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0 picks a free one)")
    parser.add_argument("--concurrency", type=_positive_int, default=4, help="most environments at once (default 4)")
    _add_function_options(parser)
    parser.add_argument(
        "--watch",
        action="store_true",
        help="rebuild and reload when the function's files (or the layer's sources) change",
    )
    caller = parser.add_mutually_exclusive_group()
    caller.add_argument(
        "--jwt-claims",
        metavar="FILE|JSON",
        help="play a JWT authorizer: every request needs 'Authorization: Bearer ...' and carries these claims",
    )
    caller.add_argument(
        "--iam-principal",
        metavar="ARN",
        help="play IAM authorization: every request needs a SigV4 Authorization header and carries this caller",
    )
    args = parser.parse_args(None if argv is None else list(argv))
    project = _project(parser, args)
    function = _function_options(parser, args, project)
    if args.watch and function.function_zip is not None:
        parser.error("--watch rebuilds the function from its folder; it cannot be used with --function-zip")
    try:
        authorizer = _authorizer(args.jwt_claims, args.iam_principal)
    except AuthorizerError as error:
        parser.error(str(error))
    return ServeOptions(
        function=function,
        port=args.port,
        concurrency=args.concurrency,
        watch=args.watch,
        authorizer=authorizer,
        routes=project.routes,
    )


def main(argv: Iterable[str] | None = None, prog: str = "flask-lambda serve") -> int:
    """`flask-lambda serve`."""
    options = parse_args(argv, prog)
    output = Output()
    try:
        # Imported here: the server's HTTP parser (h11) is a dependency of the command, and --help needs none.
        from .server import serve

        serve(options, output)
    except ServeError as error:
        output.warn(f"error: {error}")
        return 1
    output.say("Stopped.")
    return 0


INVOKE_DESCRIPTION = (invoke_module.__doc__ or "").splitlines()[0]


def parse_invoke_args(
    argv: Iterable[str] | None = None, prog: str = "flask-lambda invoke"
) -> tuple[FunctionOptions, bytes]:
    """The function to invoke, and the event's JSON."""
    parser = argparse.ArgumentParser(prog=prog, description=INVOKE_DESCRIPTION)
    parser.add_argument("event", metavar="EVENT.json", help="the event: a JSON file, or - to read standard input")
    _add_function_options(parser)
    args = parser.parse_args(None if argv is None else list(argv))
    function = _function_options(parser, args, _project(parser, args))
    try:
        payload = _read_event(args.event)
    except ValueError as error:
        parser.error(str(error))
    return function, payload


def invoke_main(argv: Iterable[str] | None = None, prog: str = "flask-lambda invoke") -> int:
    """`flask-lambda invoke`: the result on standard output, what serve would say on standard error."""
    function, payload = parse_invoke_args(argv, prog)
    output = Output(sys.stderr, sys.stderr)  # standard output is the result's alone
    try:
        result = invoke(function, payload, output, sys.stdout.buffer)
    except ServeError as error:
        output.warn(f"error: {error}")
        return 1
    if not result.streamed:  # a stream's body is out already, as it came
        print(json.dumps(result.document, indent=2, ensure_ascii=False))
    return 0 if result.ok else 1


def _add_function_options(parser: argparse.ArgumentParser) -> None:
    """What the function runs from and with: shared by serve and invoke."""
    parser.add_argument(
        "--function-dir",
        type=Path,
        default=Path(),
        help="the function's folder: its code and its pyproject.toml's settings (default: the current folder)",
    )
    parser.add_argument("--layer-zip", type=Path, help="run this layer zip instead of building one")
    parser.add_argument("--function-zip", type=Path, help="run this function zip instead of building one")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="a variable for the function (repeatable)"
    )
    parser.add_argument(
        "--table",
        metavar="NAME",
        help="the name of the project's table in DynamoDB (default: [tool.flask-lambda.table]'s name)",
    )
    parser.add_argument(
        "--dynamodb-endpoint",
        metavar="URL",
        type=_endpoint,
        help="use this DynamoDB (http://host:port) instead of an embedded one",
    )
    parser.add_argument(
        "--timeout", type=_positive_float, default=10.0, help="function timeout in seconds (default 10)"
    )
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        help="the function's AWS_REGION (default: AWS_REGION, else us-east-1)",
    )
    parser.add_argument(
        "--stream",
        action="store_true",
        help="play a function URL in RESPONSE_STREAM mode: the function streams its answers and serve sends each "
        "chunk as it comes (default: [tool.flask-lambda] stream, else an HTTP API, which buffers)",
    )
    parser.add_argument(
        "--snap-start",
        action="store_true",
        help="as Lambda SnapStart: init once, snapshot, and restore every environment from it (hooks included)",
    )
    # Which interpreter plays Lambda's runtime; by default one with requirements/runtime.txt, made once in the cache.
    parser.add_argument("--runtime-python", type=Path, help=argparse.SUPPRESS)


def _project(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Project:
    try:
        return Project.load(args.function_dir)
    except ProjectError as error:
        parser.error(str(error))


def _function_options(parser: argparse.ArgumentParser, args: argparse.Namespace, project: Project) -> FunctionOptions:
    for item in args.env:
        if "=" not in item or item.startswith("="):
            parser.error(f"--env {item!r}: expected NAME=VALUE")
    given = tuple((name, value) for name, _, value in (item.partition("=") for item in args.env))
    stream = args.stream or project.stream
    # What the Terraform module sets with response_streaming, before the caller's own variables, which may differ.
    streaming = ((STREAM_VARIABLE, "function-url"), ("AWS_LAMBDA_EXEC_WRAPPER", EXEC_WRAPPER)) if stream else ()
    env = (*streaming, *project.environment.items(), *given)
    table = project.table
    if args.table is not None:
        if table is None:
            parser.error(
                f"--table {args.table}: the project names no table definition ([tool.flask-lambda.table] in "
                f"{args.function_dir / 'pyproject.toml'})"
            )
        table = replace(table, name=args.table)
    return FunctionOptions(
        # Paths are the caller's: relative ones resolve from where the command was typed.
        function_dir=args.function_dir.absolute(),
        name=project.name,
        layer_zip=_absolute(args.layer_zip),
        function_zip=_absolute(args.function_zip),
        # The app the function will serve, as `--env LAMBDA_WSGI_APP=...` sets it, must be in the code.
        app=dict(env).get(APP_VARIABLE) or project.app,
        architecture=None,
        env=env,
        table=table,
        secrets=project.secrets,
        dynamodb_endpoint=args.dynamodb_endpoint,
        timeout=args.timeout,
        region=args.region or "us-east-1",
        runtime_python=_absolute(args.runtime_python),  # not resolved: a venv's python is a symlink
        snap_start=args.snap_start,
        stream=stream,
    )


def _absolute(path: Path | None) -> Path | None:
    return None if path is None else path.absolute()


def _authorizer(jwt_claims: str | None, iam_principal: str | None) -> Authorizer | None:
    if jwt_claims is not None:
        return jwt_authorizer(jwt_claims)
    if iam_principal is not None:
        return iam_authorizer(iam_principal)
    return None


def _read_event(given: str) -> bytes:
    """The event's JSON, checked to be JSON (Lambda refuses anything else before the function sees it)."""
    try:
        text = sys.stdin.read() if given == "-" else Path(given).read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"cannot read the event {given}: {error.strerror}") from None
    try:
        event: Any = json.loads(text)
    except ValueError as error:
        raise ValueError(f"the event {'on standard input' if given == '-' else given} is not JSON: {error}") from None
    return json.dumps(event, ensure_ascii=False).encode()


def _endpoint(text: str) -> str:
    """An endpoint URL boto3 can use: a scheme and a host, and a port unless it is https."""
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = None
        parts = parts._replace(netloc="")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL such as http://localhost:8001")
    if port is None and parts.scheme == "http":
        raise argparse.ArgumentTypeError(f"{text!r} names no port (http://localhost:8001)")
    return text


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


if __name__ == "__main__":
    sys.exit(main())
