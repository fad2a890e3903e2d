"""`python -m bench`: compare this layer with apig-wsgi, serverless-wsgi and Mangum + a2wsgi on the same Blueprint.

Measures warm per-request overhead, cold start and layer zip size, then prints a table and the target ratios.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .adapters import add_layer_path, build_app, select
from .cold import measure_cold
from .events import CASES, COLD_START_CASE
from .layer_size import measure_layers, shipped_layer
from .report import Figures, text, write_json
from .runtime import install_lambda_logging
from .warm import UnfairComparisonError, measure_warm

METRICS = ("warm", "cold", "layer")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few iterations: checks that everything runs")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument("--requests", type=int, help="requests per timed batch (default 50; --quick 10)")
    parser.add_argument("--repeats", type=int, help="timed batches per adapter and case (default 40; --quick 3)")
    parser.add_argument("--cold-runs", type=int, help="cold starts per adapter (default 15; --quick 3)")
    parser.add_argument(
        "--adapters", help="comma-separated peers to compare with (default: all; this layer always runs)"
    )
    parser.add_argument("--only", help=f"comma-separated metrics to measure (default: {','.join(METRICS)})")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of comparing, profile this layer's handler on every case (--requests calls each, default 2000)",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    requests = args.requests or (10 if args.quick else 50)
    repeats = args.repeats or (3 if args.quick else 40)
    cold_runs = args.cold_runs or (3 if args.quick else 15)
    metrics = set(args.only.split(",")) if args.only else set(METRICS)
    if metrics - set(METRICS):
        raise SystemExit(f"unknown metric(s): {', '.join(sorted(metrics - set(METRICS)))}")
    add_layer_path()
    contenders = select(args.adapters.split(",") if args.adapters else None)
    missing = [contender.name for contender in contenders if not contender.available()]
    if missing:
        raise SystemExit(f"not installed here: {', '.join(missing)}; run the benchmark with ./build.sh bench")

    install_lambda_logging()
    app = build_app()
    if args.profile:
        from .profile import profile_ours

        print(profile_ours(app, requests=args.requests or 2000))
        return 0

    figures = Figures(contenders=contenders, cases=list(CASES), cold_runs=cold_runs)
    if "warm" in metrics:
        print(
            f"warm: {len(contenders)} adapters x {len(CASES)} cases x {repeats} x {requests} requests", file=sys.stderr
        )
        try:
            figures.warm = measure_warm(app, contenders, CASES, requests=requests, repeats=repeats)
        except UnfairComparisonError as error:
            raise SystemExit(f"the adapters do not answer alike, so no figures: {error}") from None
    if "cold" in metrics:
        print(f"cold start: {len(contenders)} adapters x {cold_runs} runs", file=sys.stderr)
        figures.cold = measure_cold(contenders, COLD_START_CASE, runs=cold_runs)
    if "layer" in metrics:
        print("layer zips: pip install --target for each adapter", file=sys.stderr)
        figures.layers = measure_layers(contenders)
        figures.shipped_layer = shipped_layer()
    print(text(figures), flush=True)
    if args.json:
        write_json(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
