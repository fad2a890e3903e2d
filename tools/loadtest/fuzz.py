"""`./build.sh fuzz`: schemathesis against serve, every check on, the stateful phase following the document's links.

serve starts with the sample API and a page-token key made for the run, which the hooks (fuzz_hooks.py) sign real
tokens with. Exit status: schemathesis's own (0 when nothing failed).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import secrets
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from flask_lambda.serve.background import ROOT, TAIL, BackgroundServe, ServeStartError
from tools.loadtest import SAMPLE_API

HOOKS_MODULE = "tools.loadtest.fuzz_hooks"
KEY_VARIABLE = "PAGE_TOKEN_KEY"
DEFAULT_SCHEMATHESIS = ROOT / ".venv-fuzz" / "bin" / "schemathesis"
CONFIG = ROOT / "schemathesis.toml"


def schemathesis_command(
    schemathesis: Path | str, url: str, max_examples: int, seed: int, extra: Iterable[str] = ()
) -> list[str]:
    """The schemathesis run: all checks but one, every phase (examples, coverage, fuzzing, stateful), CONFIG's settings.

    The one left out, `unsupported_method`, expects 405 for a method the document does not list; an HTTP API
    answers such a request with its own 404 before the function runs (as serve does), so 404 is right here.
    """
    return [
        str(schemathesis),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{url.rstrip('/')}/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        "unsupported_method",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        *extra,
    ]


def schemathesis_environment(key: str) -> dict[str, str]:
    """Where schemathesis finds the hooks, and the key they sign tokens with."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return os.environ | {"SCHEMATHESIS_HOOKS": HOOKS_MODULE, "PYTHONPATH": path, KEY_VARIABLE: key}


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="./build.sh fuzz", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--max-examples", type=int, default=200, help="test cases per operation and phase (default 200)"
    )
    parser.add_argument("--seed", type=int, help="schemathesis's seed (default: a new one, printed)")
    parser.add_argument(
        "--url",
        help=f"fuzz this API instead of starting serve; {KEY_VARIABLE} must then be its page-token key",
    )
    parser.add_argument("--schemathesis", type=Path, default=DEFAULT_SCHEMATHESIS, help=argparse.SUPPRESS)
    parser.add_argument("--runtime-python", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("extra", nargs="*", help="more schemathesis options, after --")
    args = parser.parse_args(None if argv is None else list(argv))
    if args.url is not None and len(os.environ.get(KEY_VARIABLE, "")) < 32:
        parser.error(f"--url needs {KEY_VARIABLE} set to that API's page-token key, to sign valid tokens")
    return args


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    key = os.environ.get(KEY_VARIABLE, "") if args.url else secrets.token_urlsafe(48)
    try:
        with _api_url(args, key) as url:
            command = schemathesis_command(args.schemathesis, url, args.max_examples, seed, args.extra)
            print(f"Fuzzing {url} (seed {seed}; replay with ./build.sh fuzz --seed {seed})", flush=True)
            return subprocess.run(command, cwd=ROOT, env=schemathesis_environment(key), check=False).returncode
    except ServeStartError as error:
        print(f"fuzz: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


@contextlib.contextmanager
def _api_url(args: argparse.Namespace, key: str) -> Iterator[str]:
    if args.url is not None:
        yield args.url
        return
    serve_args = ["--function-dir", str(SAMPLE_API)]
    if args.runtime_python is not None:
        serve_args += ["--runtime-python", str(args.runtime_python)]
    print("Starting serve with the sample API (./build.sh serve) ...", flush=True)
    # serve hands its own PAGE_TOKEN_KEY to the function.
    with BackgroundServe(serve_args, env=os.environ | {KEY_VARIABLE: key}, keep=TAIL) as serve:
        yield serve.url


if __name__ == "__main__":
    sys.exit(main())
