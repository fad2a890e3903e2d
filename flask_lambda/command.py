"""`flask-lambda command -- ARGS...`: run the deployed app's Flask CLI (`flask ARGS...`) in its function on Lambda.

The layer runs the command for an event `{"flask-lambda": {"command": [...]}}`; this invokes it and relays the result.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .project import Project, ProjectError

# The alias the Terraform module (infra/modules/flask-function, alias_name) deploys and API Gateway invokes.
DEFAULT_QUALIFIER = "live"
EVENT_KEY = "flask-lambda"
LAMBDA_MAX_SECONDS = 900  # the longest timeout a function can have
INSTALL_HINT = "pip install 'flask-lambda[aws]'"

DESCRIPTION = (
    "Run the deployed app's Flask CLI command (as `flask ARGS...` would) in its Lambda function, print its output "
    "and exit with its exit status. If the invocation itself fails (a timeout, a crash, a function error), its "
    "error type and message go to standard error and the exit status is 1. Needs boto3 "
    f"({INSTALL_HINT}) and credentials allowed lambda:InvokeFunction on the function."
)
EPILOG = "example: flask-lambda command --function users-api -- users count"


@dataclass(frozen=True)
class CommandOptions:
    function: str
    qualifier: str
    region: str | None
    profile: str | None
    endpoint_url: str | None
    args: tuple[str, ...]


@dataclass(frozen=True)
class CommandResult:
    """What the layer answers for a command: its exit status and its output (standard output and error together)."""

    exit_code: int
    output: str
    truncated: bool


class CommandError(Exception):
    """The command could not be run: one line that says why; no command exit status to pass on."""


class FunctionFailedError(CommandError):
    """The invocation failed (Lambda's FunctionError): a timeout, a crash, an error the function raised."""


def command_event(args: Iterable[str], *, fail_on_error: bool = False) -> dict[str, Any]:
    """The event that makes the layer run `flask ARGS...` instead of serving a request."""
    return {EVENT_KEY: {"command": list(args), "failOnError": fail_on_error}}


def parse_args(argv: Iterable[str] | None = None, prog: str = "flask-lambda command") -> CommandOptions:
    """The options before `--`, and the Flask command after it (or the positional words, when it has no options)."""
    given = list(sys.argv[1:] if argv is None else argv)
    after: list[str] = []
    if "--" in given:
        split = given.index("--")
        given, after = given[:split], given[split + 1 :]
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("args", nargs="*", metavar="ARGS", help="the Flask command and its arguments, after --")
    parser.add_argument(
        "--function",
        metavar="NAME",
        help="the function's name or ARN (default: the project folder's name, which `flask-lambda new` gives "
        "the function in main.tf)",
    )
    parser.add_argument(
        "--function-dir",
        type=Path,
        default=Path(),
        help="the project's folder, whose name is the default --function (default: the current folder)",
    )
    parser.add_argument(
        "--qualifier",
        default=DEFAULT_QUALIFIER,
        help=f"the alias or version to invoke (default: {DEFAULT_QUALIFIER!r}, the alias the Terraform module "
        "deploys; '$LATEST' for the unpublished code)",
    )
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        help="the function's region (default: AWS_REGION, AWS_DEFAULT_REGION, else the profile's)",
    )
    parser.add_argument("--profile", help="the AWS profile to use (default: boto3's)")
    parser.add_argument(
        "--endpoint-url", metavar="URL", help="the Lambda API to call, such as a local `flask-lambda serve`'s URL"
    )
    args = parser.parse_args(given)
    command = (*args.args, *after)
    if not command:
        parser.error("name the Flask command to run after --, such as: -- routes")
    function = args.function
    if function is None:
        try:
            function = Project.load(args.function_dir).name
        except ProjectError as error:
            parser.error(str(error))
    if not args.qualifier:
        parser.error("--qualifier must not be empty")
    return CommandOptions(
        function=function,
        qualifier=args.qualifier,
        region=args.region,
        profile=args.profile,
        endpoint_url=args.endpoint_url,
        args=command,
    )


Invoker = Callable[[CommandOptions, bytes], dict[str, Any]]


def run_command(options: CommandOptions, invoker: Invoker | None = None) -> CommandResult:
    """Invoke the function with the command's event; `CommandError` (or `FunctionFailedError`) when it cannot run."""
    payload = json.dumps(command_event(options.args)).encode()
    response = (invoker or invoke_lambda)(options, payload)
    body: bytes = response.get("Payload", b"")
    if response.get("FunctionError"):
        raise FunctionFailedError(describe_function_error(body))
    return parse_result(body)


def parse_result(body: bytes) -> CommandResult:
    """The layer's `{"exitCode", "output", "outputTruncated"}`; anything else means the layer runs no commands."""
    try:
        document: Any = json.loads(body)
    except ValueError:
        document = None
    if (
        not isinstance(document, dict)
        or type(document.get("exitCode")) is not int
        or not isinstance(document.get("output"), str)
    ):
        raise CommandError(
            "the function did not answer with a command's result: is it deployed with a flask-lambda layer that "
            "runs commands?"
        )
    return CommandResult(document["exitCode"], document["output"], bool(document.get("outputTruncated")))


def describe_function_error(body: bytes) -> str:
    """`errorType: errorMessage` from Lambda's error payload."""
    try:
        document: Any = json.loads(body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return f"the function failed: {body.decode(errors='replace')[:500] or 'no error payload'}"
    kind = document.get("errorType") or "Unhandled"
    return f"{kind}: {document.get('errorMessage') or 'no message'}"


def invoke_lambda(options: CommandOptions, payload: bytes) -> dict[str, Any]:
    """lambda.invoke (RequestResponse) with boto3, its errors turned into one-line `CommandError`s."""
    try:
        # Imported here: boto3 is an optional extra of the command, and only this subcommand needs it.
        import boto3
        import botocore.config
        import botocore.exceptions as errors
    except ImportError:
        raise CommandError(f"this command needs boto3: {INSTALL_HINT}") from None
    try:
        session = boto3.Session(profile_name=options.profile, region_name=options.region)
        # A command may run as long as the function may (15 minutes), and must not run twice because a read timed out.
        config = botocore.config.Config(read_timeout=LAMBDA_MAX_SECONDS + 10, retries={"total_max_attempts": 1})
        client = session.client("lambda", endpoint_url=options.endpoint_url, config=config)
        response: dict[str, Any] = client.invoke(
            FunctionName=options.function,
            Qualifier=options.qualifier,
            InvocationType="RequestResponse",
            Payload=payload,
        )
        response["Payload"] = response["Payload"].read()
    except errors.ClientError as error:
        raise CommandError(_client_error(options, error.response)) from None
    except errors.NoCredentialsError:
        raise CommandError("no AWS credentials found: pass --profile or set AWS_PROFILE") from None
    except errors.NoRegionError:
        raise CommandError("no AWS region: pass --region, or set AWS_REGION") from None
    except errors.ProfileNotFound as error:
        raise CommandError(f"{error} (pass another --profile)") from None
    except errors.BotoCoreError as error:
        raise CommandError(str(error)) from None
    return response


def _client_error(options: CommandOptions, response: Any) -> str:
    """One line for an error the Lambda API answered, saying what to do about the common ones."""
    detail = response.get("Error", {}) if isinstance(response, dict) else {}
    code = str(detail.get("Code") or "Error")
    message = str(detail.get("Message") or "").strip()
    target = f"{options.function}:{options.qualifier}"
    if code == "ResourceNotFoundException":
        return f"no function {target} ({message}); name it with --function and --qualifier, and check --region"
    if code in {"AccessDeniedException", "AccessDenied"}:
        return f"not allowed to invoke {target}: these credentials need lambda:InvokeFunction on it ({message})"
    if code in {"UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException"}:
        return f"the AWS credentials were refused ({code}: {message}); refresh them or pass --profile"
    return f"{code}: {message}" if message else code


def main(argv: Iterable[str] | None = None, prog: str = "flask-lambda command", out: TextIO | None = None) -> int:
    """`flask-lambda command`: the command's output on standard output, as it came; its exit status as ours."""
    options = parse_args(argv, prog)
    try:
        result = run_command(options)
    except CommandError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 1
    stream = out or sys.stdout
    stream.write(result.output)
    stream.flush()
    if result.truncated:
        print(f"{prog}: the function cut the output short (Lambda's response size limit)", file=sys.stderr)
    # An exit status is a byte: anything the shell could not tell apart from another one is a plain failure.
    return result.exit_code if 0 <= result.exit_code <= 255 else 1


if __name__ == "__main__":
    sys.exit(main())
