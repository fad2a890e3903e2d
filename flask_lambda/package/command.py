"""Build the Lambda artifacts: `dist/layer.zip` (the adapter, Flask and its dependencies) and `dist/function.zip`.

The command `flask-lambda package` (`python -m flask_lambda.package`): its options, the project's settings they
override (flask_lambda.project), and the two builds in their order.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from flask_lambda.project import Project, ProjectError
from lambda_wsgi.settings import APP_VARIABLE, DEFAULT_APP

from .common import LAYER_REQUIREMENTS, PYTHON_VERSION, PackageError
from .function import build_function, function_files
from .layer import build_layer
from .pip import ARCHITECTURES

DEFAULT_ARCHITECTURE = "arm64"


def argument_parser(prog: str = "flask-lambda package") -> argparse.ArgumentParser:
    """The options; every path is read from the directory the command was typed in."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--arch",
        choices=sorted(ARCHITECTURES),
        help=f"the function's architecture (default: the project's, else {DEFAULT_ARCHITECTURE})",
    )
    parser.add_argument(
        "--out-dir", type=_path, metavar="DIR", help="where the zips go (default: dist/ in the function's folder)"
    )
    parser.add_argument(
        "--function-dir",
        type=_path,
        default=Path(".").absolute(),
        metavar="DIR",
        help="the function's folder, all of which ships but what it leaves out (default: the current folder)",
    )
    parser.add_argument(
        "--app",
        metavar="MODULE:ATTRIBUTE",
        help=f"what the layer serves, checked to be defined at the top level of that module (default: "
        f"${APP_VARIABLE}, else the project's app, else {DEFAULT_APP}); deploy the function with the same "
        f"{APP_VARIABLE}",
    )
    parser.add_argument(
        "--requirements",
        type=_path,
        default=LAYER_REQUIREMENTS,
        metavar="FILE",
        help="what the layer installs (default: flask-lambda's pinned requirements/layer.txt)",
    )
    parser.add_argument(
        "--bytecode",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="ship every module compiled beside its source (the default): cold starts about 3x faster; "
        "--no-bytecode ships sources only, zips about 2.5x smaller",
    )
    return parser


def parse_args(argv: Iterable[str] | None = None, prog: str = "flask-lambda package") -> argparse.Namespace:
    """The options, completed from the function folder's project settings where the command line is silent."""
    parser = argument_parser(prog)
    args = parser.parse_args(None if argv is None else list(argv))
    try:
        project = Project.load(args.function_dir)
    except ProjectError as error:
        parser.error(str(error))
    args.arch = args.arch or project.architecture or DEFAULT_ARCHITECTURE
    args.app = args.app or os.environ.get(APP_VARIABLE) or project.app
    args.out_dir = args.out_dir or args.function_dir / "dist"
    return args


def _path(text: str) -> Path:
    """A path given on the command line, from the directory it was typed in (symbolic links kept)."""
    return Path(text).absolute()


def main(argv: Iterable[str] | None = None, prog: str = "flask-lambda package") -> int:
    args = parse_args(argv, prog)
    try:
        if f"{sys.version_info.major}.{sys.version_info.minor}" != PYTHON_VERSION:
            raise PackageError(
                f"packaging needs Python {PYTHON_VERSION} (the Lambda runtime's version), but runs on "
                f"{sys.version.split()[0]} ({sys.executable}); install flask-lambda on Python {PYTHON_VERSION}"
            )
        # A function that can't be built fails before the layer's slower build.
        function_files(args.function_dir, args.app, output=args.out_dir)
        layer = build_layer(
            args.out_dir / "layer.zip", args.arch, requirements=args.requirements, bytecode=args.bytecode
        )
        function = build_function(
            args.out_dir / "function.zip",
            args.function_dir,
            args.arch,
            layer.path,
            bytecode=args.bytecode,
            app=args.app,
        )
    except PackageError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 1
    compiled = "bytecode" if args.bytecode else "sources only"
    print(f"{layer.describe()}  [layer, Python {PYTHON_VERSION} {args.arch}, {compiled}]")
    print(f"{function.describe()}  [function, {compiled}]")
    return 0
