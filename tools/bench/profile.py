"""Where this layer's warm request time goes: cProfile over many calls of each benchmark event.

Prints the top functions by own time, so the costs of the adapter stand out from Flask's. The layer runs as
shipped: access line off, pybase64 importable.
"""

from __future__ import annotations

import cProfile
import io
import pstats
from typing import Any

from .adapters import CONTENDERS, layer_finds_pybase64
from .events import CASES
from .runtime import LambdaContext


def profile_ours(app: Any, *, requests: int, top: int = 25) -> str:
    handler = CONTENDERS[0].wrap(app)
    layer_finds_pybase64(True)  # the layer as shipped
    context = LambdaContext()
    out = io.StringIO()
    try:
        for case in CASES:
            event = case.event()
            for _ in range(50):
                handler(event, context)
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(requests):
                handler(event, context)
            profiler.disable()
            out.write(f"\n=== {case.label}: {requests} requests, top {top} by own time ===\n")
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(top)
    finally:
        layer_finds_pybase64(None)
    return out.getvalue()
