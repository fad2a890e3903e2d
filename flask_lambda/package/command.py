"""Build the Lambda artifacts: `dist/layer.zip` (the adapter, Flask and its dependencies) and `dist/function.zip`.

The command `./build.sh package` (`python -m flask_lambda.package`): its options, and the two builds in their order.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from lambda_wsgi.settings import APP_VARIABLE, DEFAULT_APP

from .common import DIST_DIR, FUNCTION_DIR, LAYER_REQUIREMENTS, PYTHON_VERSION, PackageError
from .function import build_function, function_files
from .layer import build_layer
from .pip import ARCHITECTURES


def argument_parser() -> argparse.ArgumentParser:
    """The options; every path is read from the directory the command was typed in."""
    parser = argparse.ArgumentParser(prog="./build.sh package", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--arch", choices=sorted(ARCHITECTURES), default="arm64", help="the function's architecture (default arm64)"
    )
    parser.add_argument(
        "--out-dir",
        type=_path,
        default=DIST_DIR,
        metavar="DIR",
        help="where the zips go (default: the repository's dist/)",
    )
    parser.add_argument(
        "--function-dir",
        type=_path,
        default=FUNCTION_DIR,
        metavar="DIR",
        help="the function's folder, all of which ships but what it leaves out (default: the repository's api/)",
    )
    parser.add_argument(
        "--app",
        default=os.environ.get(APP_VARIABLE) or DEFAULT_APP,
        metavar="MODULE:ATTRIBUTE",
        help=f"what the layer serves, checked to be defined at the top level of that module (default: "
        f"${APP_VARIABLE}, else {DEFAULT_APP}); deploy the function with the same {APP_VARIABLE}",
    )
    parser.add_argument(
        "--requirements",
        type=_path,
        default=LAYER_REQUIREMENTS,
        metavar="FILE",
        help="what the layer installs (default: the repository's requirements/layer.txt)",
    )
    parser.add_argument(
        "--bytecode",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="ship every module compiled beside its source (the default): cold starts about 3x faster; "
        "--no-bytecode ships sources only, zips about 2.5x smaller",
    )
    return parser


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    return argument_parser().parse_args(None if argv is None else list(argv))


def _path(text: str) -> Path:
    """A path given on the command line, from the directory it was typed in (symbolic links kept)."""
    return Path(text).absolute()


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if f"{sys.version_info.major}.{sys.version_info.minor}" != PYTHON_VERSION:
            raise PackageError(
                f"packaging needs Python {PYTHON_VERSION} (the Lambda runtime's version), but runs on "
                f"{sys.version.split()[0]} ({sys.executable}); use ./build.sh package"
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
        print(f"package: error: {error}", file=sys.stderr)
        return 1
    compiled = "bytecode" if args.bytecode else "sources only"
    print(f"{layer.describe()}  [layer, Python {PYTHON_VERSION} {args.arch}, {compiled}]")
    print(f"{function.describe()}  [function, {compiled}]")
    return 0
