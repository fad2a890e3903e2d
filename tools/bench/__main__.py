"""`python -m tools.bench`: this layer as shipped against apig-wsgi, serverless-wsgi, Mangum + a2wsgi and the floor.

Measures warm per-request overhead, cold start of each package as its users deploy it, layer zip size and the cost
of base64 for a 100 KB binary response, then prints a table and the targets. SnapStart and streaming (with the
layer's runtime loop against awslambdaric's) are measured for this layer alone, on serve's Runtime API.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .adapters import OURS, build_app, select, warm_rows
from .base64_cost import measure_base64
from .cold import measure_cold
from .events import CASES, COLD_START_CASE
from .packaging import LambdaTree, deployed
from .report import Figures, text, write_json
from .runtime import RuntimeLogging
from .snapstart import measure_snapstart
from .stream import StreamResult, measure_stream
from .warm import UnfairComparisonError, measure_warm

METRICS = ("warm", "cold", "layer", "base64", "snapstart", "stream")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few iterations: checks that everything runs")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument("--requests", type=int, help="requests per timed batch (default 50; --quick 10)")
    parser.add_argument("--repeats", type=int, help="timed batches per row and case (default 100; --quick 3)")
    parser.add_argument("--cold-runs", type=int, help="cold starts per contender (default 40; --quick 3)")
    parser.add_argument(
        "--adapters",
        help="comma-separated peers to compare with (default: all; this layer and the floor always run)",
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
    repeats = args.repeats or (3 if args.quick else 100)
    cold_runs = args.cold_runs or (3 if args.quick else 40)
    metrics = set(args.only.split(",")) if args.only else set(METRICS)
    if metrics - set(METRICS):
        raise SystemExit(f"unknown metric(s): {', '.join(sorted(metrics - set(METRICS)))}")
    contenders = select(args.adapters.split(",") if args.adapters else None)

    with RuntimeLogging() as logging:
        logging.use("text")
        app = build_app()
        if args.profile:
            from .profile import profile_ours

            print(profile_ours(app, requests=args.requests or 2000))
            return 0

        figures = Figures(contenders=contenders, cases=list(CASES), cold_runs=cold_runs)
        if "warm" in metrics:
            missing = [contender.name for contender in contenders if not contender.available()]
            if missing:
                raise SystemExit(f"not installed here: {', '.join(missing)}; run the benchmark with ./build.sh bench")
            figures.rows = warm_rows(contenders)
            print(
                f"warm: {len(figures.rows)} rows x {len(CASES)} cases x {repeats} x {requests} requests",
                file=sys.stderr,
            )
            try:
                figures.warm = measure_warm(app, figures.rows, CASES, logging, requests=requests, repeats=repeats)
            except UnfairComparisonError as error:
                raise SystemExit(f"the contenders do not answer alike, so no figures: {error}") from None
        if "base64" in metrics:
            print("base64: 100 KB binary body, shipped codec and standard library", file=sys.stderr)
            figures.base64 = measure_base64(calls=20 if args.quick else 200, repeats=3 if args.quick else 30)

    if metrics & {"cold", "layer", "snapstart", "stream"}:
        # SnapStart and streaming run this layer's package alone: the peers' are built only to compare with.
        packaged = contenders if metrics & {"cold", "layer"} else [c for c in contenders if c.name == OURS]
        print("packages: ours by flask_lambda/package/, the others by pip install --target + zip -r", file=sys.stderr)
        with deployed(packaged) as packages:
            figures.layers = {name: deployed_.package.layer_size() for name, deployed_ in packages.items()}
            figures.functions = {name: deployed_.package.function_size() for name, deployed_ in packages.items()}
            if "cold" in metrics:
                print(f"cold start: {len(contenders)} contenders x {cold_runs} runs", file=sys.stderr)
                trees = {name: deployed_.tree for name, deployed_ in packages.items()}
                figures.cold = measure_cold(contenders, trees, COLD_START_CASE, runs=cold_runs)
            if "snapstart" in metrics:
                snapstart_runs = max(3, cold_runs // 2)
                print(f"SnapStart (serve's emulation): this layer, 3 variants x {snapstart_runs} runs", file=sys.stderr)
                figures.snapstart = measure_snapstart(packages[OURS].tree, COLD_START_CASE, runs=snapstart_runs)
            if "stream" in metrics:
                figures.stream = _stream(packages[OURS].tree, cold_runs=cold_runs, repeats=repeats, requests=requests)
        if "layer" not in metrics:
            figures.layers = figures.functions = None
    print(text(figures), flush=True)
    if args.json:
        write_json(figures, args.json)
    return 0


def _stream(tree: LambdaTree, *, cold_runs: int, repeats: int, requests: int) -> StreamResult:
    runs = max(3, cold_runs // 4)
    print(
        f"streaming (serve's Runtime API): this layer, 2 responses x {runs} runs; runtime loops: "
        f"2 x {cold_runs} cold starts, 2 x {repeats} x {requests} warm invocations",
        file=sys.stderr,
    )
    return measure_stream(tree, repeats=runs, cold_runs=cold_runs, requests=requests, batches=repeats)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
