"""What base64 adds to a 100 KB binary response: one encode of the body with the codec this layer picks.

A binary body leaves Lambda as base64 text; without it the body would go out as it is, so the encode is what the
body's encoding adds. Timed with the codec the layer uses as shipped (pybase64, which its layer holds) and with
the standard library's (what it falls back to if pybase64's native code cannot load): fastest of short batches.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from time import perf_counter_ns

from .adapters import layer_encoder, layer_finds_pybase64, pybase64_available

BODY_BYTES = 100 * 1024
BODY = (bytes(range(256)) * (BODY_BYTES // 256 + 1))[:BODY_BYTES]
TARGET_US = 10.0


@dataclass
class Base64Result:
    """Nanoseconds per encode of every timed batch, and the name of the function that did it, by codec."""

    batches: dict[str, list[float]] = field(default_factory=dict)
    codecs: dict[str, str] = field(default_factory=dict)
    calls: int = 0

    def us(self, codec: str) -> float:
        return min(self.batches[codec]) / 1000


def _name(function: object) -> str:
    module = getattr(function, "__module__", None) or "?"
    return f"{module}.{getattr(function, '__qualname__', function)}"


def measure_base64(*, calls: int, repeats: int) -> Base64Result:
    """`repeats` batches of `calls` encodes of the 100 KB body per codec, in turns: "shipped" and "stdlib"."""
    if not pybase64_available():
        raise SystemExit("pybase64 is not installed here, and the layer as shipped has it: use ./build.sh bench")
    result = Base64Result(calls=calls)
    try:
        encoders = {}
        for codec, found in (("shipped", True), ("stdlib", False)):
            layer_finds_pybase64(found)
            encoders[codec] = layer_encoder()
            result.codecs[codec] = _name(encoders[codec])
            result.batches[codec] = []
        if encoders["shipped"] is encoders["stdlib"]:
            raise RuntimeError(f"the layer encodes with {result.codecs['shipped']} whether pybase64 is there or not")
        for _ in range(repeats):
            for codec, encode in encoders.items():
                gc.collect()
                started = perf_counter_ns()
                for _ in range(calls):
                    encode(BODY)
                result.batches[codec].append((perf_counter_ns() - started) / calls)
        return result
    finally:
        layer_finds_pybase64(None)
