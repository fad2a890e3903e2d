"""Benchmark of the layer against other Flask-on-Lambda adapters and a floor: warm overhead, cold start, layer size.

Run it with `./build.sh bench` (or `python -m tools.bench --help` inside .venv-bench).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER_DIR = ROOT / "python-lambda-layer"
FUNCTION_DIR = Path(__file__).resolve().parent / "function"
LAYER_REQUIREMENTS = ROOT / "requirements" / "layer.txt"
BENCH_REQUIREMENTS = ROOT / "requirements" / "bench.txt"
