"""`./build.sh load`: concurrent clients against the users API for a while, then the integrity audit.

Prints the requests, answers by status and latency percentiles, then the audit; exit status 1 if the audit fails.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import secrets
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from flask_lambda.serve.background import TAIL, BackgroundServe, ServeStartError
from tools.loadtest import SAMPLE_API

from . import audit, report
from .client import Api
from .workload import Plan, read_final_state, run_clients


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="./build.sh load", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=_positive_int, default=8, help="clients at once (default 8)")
    parser.add_argument("--seconds", type=_positive_float, default=20.0, help="how long they run (default 20)")
    parser.add_argument("--requests", type=_positive_int, help="stop each client after this many requests")
    parser.add_argument(
        "--url",
        help="the API to load (e.g. a deployment's api_url); by default serve starts with the sample API and an "
        "embedded DynamoDB. The audit reads every user afterwards, so nothing else should write meanwhile",
    )
    parser.add_argument("--seed", type=int, help="seed of the clients' choices (default: a new one, printed)")
    parser.add_argument(
        "--concurrency", type=_positive_int, default=4, help="serve's execution environments, without --url (default 4)"
    )
    parser.add_argument(
        "--walk-limit",
        type=int,
        default=7,
        choices=range(1, 101),
        metavar="1..100",
        help="page size of the audit's walk of the list (default 7)",
    )
    parser.add_argument("--runtime-python", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(None if argv is None else list(argv))
    if args.url is not None and not args.url.startswith(("http://", "https://")):
        parser.error(f"--url must be an http:// or https:// URL, not {args.url!r}")
    return args


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    plan = Plan(
        clients=args.clients,
        seconds=args.seconds,
        requests=args.requests,
        seed=seed,
        run=f"load{seed}-{secrets.token_hex(3)}",
        walk_limit=args.walk_limit,
    )
    try:
        with _api_url(args) as url:
            print(f"Load: {plan.clients} clients for {plan.seconds:g} s against {url} (seed {seed}, run {plan.run})")
            result, lines = run(Api(url), plan)
    except ServeStartError as error:
        print(f"load: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print("\n".join(lines))
    return 0 if result.passed else 1


def run(api: Api, plan: Plan) -> tuple[audit.Result, list[str]]:
    """Run the plan, read the store back and audit it: the verdict, and the report's lines."""
    started = time.monotonic()
    history, ids = run_clients(api, plan)
    elapsed = time.monotonic() - started
    final = read_final_state(api, ids, plan.walk_limit, workers=min(plan.clients, 8))
    result = audit.audit(history, final, plan.run)
    return result, [*report.lines(history, elapsed), *audit.summary_lines(result)]


@contextlib.contextmanager
def _api_url(args: argparse.Namespace) -> Iterator[str]:
    if args.url is not None:
        yield args.url.rstrip("/")
        return
    serve_args = ["--function-dir", str(SAMPLE_API), "--concurrency", str(args.concurrency)]
    if args.runtime_python is not None:
        serve_args += ["--runtime-python", str(args.runtime_python)]
    print("Starting serve with the sample API (./build.sh serve) ...", flush=True)
    with BackgroundServe(serve_args, keep=TAIL) as serve:
        yield serve.url


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value
