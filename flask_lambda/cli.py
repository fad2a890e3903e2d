"""The `flask-lambda` command: one subcommand per task, each a thin reader of its own options.

The subcommands' modules load only when named, so `flask-lambda --help` and each `--help` stay instant.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from .resources import distribution_version

# name: (module, its entry point, what it does)
COMMANDS = {
    "new": ("flask_lambda.new", "main", "write a new project: routes.py, a test, settings and a main.tf"),
    "serve": ("flask_lambda.serve.cli", "main", "serve the function locally as API Gateway and Lambda run it"),
    "invoke": ("flask_lambda.serve.cli", "invoke_main", "run one event through the built zips and print the result"),
    "package": ("flask_lambda.package.command", "main", "build dist/layer.zip and dist/function.zip for Lambda"),
    "command": ("flask_lambda.command", "main", "run the deployed app's Flask CLI command in its Lambda function"),
}
USAGE = "usage: flask-lambda [--version] COMMAND [ARGS] (flask-lambda COMMAND --help for its options)"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_help())
        return 0 if args else 2
    if args[0] == "--version":
        print(f"flask-lambda {distribution_version()}")
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(
            f"{USAGE}\nflask-lambda: error: unknown command {name!r} (choose from {', '.join(COMMANDS)})",
            file=sys.stderr,
        )
        return 2
    module, entry, _ = COMMANDS[name]
    run = getattr(importlib.import_module(module), entry)
    return int(run(rest, prog=f"flask-lambda {name}"))


def _help() -> str:
    lines = [
        USAGE,
        "",
        "Run plain Flask code on AWS Lambda: locally, packaged, deployed with Terraform.",
        "",
        "commands:",
    ]
    lines += [f"  {name:<9} {summary}" for name, (_, _, summary) in COMMANDS.items()]
    return "\n".join(lines)
