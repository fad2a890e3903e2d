"""The benchmark's output: one Markdown table (adapter x metric), the target ratios, and the JSON figures.

Ratios compare this layer with the best peer on each metric; a missed target is printed as such.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

from .adapters import OURS, VARIANTS, Contender
from .cold import ColdResult
from .events import Case
from .layer_size import LayerSize
from .warm import DIRECT, WarmResult


@dataclass(frozen=True)
class Ratio:
    """This layer's figure over the best peer's, against a target ceiling."""

    metric: str
    ours: float
    best_peer: str
    best: float
    target: float

    @property
    def value(self) -> float | None:
        return self.ours / self.best if self.best > 0 else None

    @property
    def met(self) -> bool | None:
        return None if self.value is None else self.value <= self.target


@dataclass
class Figures:
    contenders: list[Contender]
    cases: list[Case]
    warm: WarmResult | None = None
    cold: dict[str, ColdResult] | None = None
    cold_runs: int = 0
    layers: dict[str, LayerSize] | None = None
    shipped_layer: LayerSize | None = None

    def peers(self) -> list[Contender]:
        return [contender for contender in self.contenders if not contender.is_ours]

    def ratios(self) -> list[Ratio]:
        peers = [peer.name for peer in self.peers()]
        if not peers:
            return []
        ratios: list[Ratio] = []
        if self.warm is not None:
            warm = self.warm
            best = min(peers, key=warm.total_overhead_us)
            ratios.append(
                Ratio("warm overhead, all cases", warm.total_overhead_us(OURS), best, warm.total_overhead_us(best), 0.5)
            )
            for variant in VARIANTS:
                if warm.measured(variant.name):
                    ratios.append(
                        Ratio(
                            f"warm overhead, all cases, {variant.label.removeprefix(OURS).lstrip(' ,')}",
                            warm.total_overhead_us(variant.name),
                            best,
                            warm.total_overhead_us(best),
                            0.5,
                        )
                    )
            for case in self.cases:
                by_overhead = {name: warm.overhead_us(case.name, name) for name in peers}
                fastest = min(by_overhead, key=by_overhead.__getitem__)
                ratios.append(
                    Ratio(
                        f"warm overhead, {case.label}",
                        warm.overhead_us(case.name, OURS),
                        fastest,
                        warm.overhead_us(case.name, fastest),
                        0.5,
                    )
                )
        if self.cold is not None:
            cold = self.cold
            best = min(peers, key=lambda name: cold[name].median_ms)
            ratios.append(Ratio("cold start", cold[OURS].median_ms, best, cold[best].median_ms, 1.0))
        if self.layers is not None:
            layers = self.layers
            best = min(peers, key=lambda name: layers[name].bytes)
            ratios.append(
                Ratio("layer zip size, same build for all", layers[OURS].bytes, best, layers[best].bytes, 1.0)
            )
            if self.shipped_layer is not None:
                shipped = self.shipped_layer.bytes
                ratios.append(Ratio("layer zip size, as shipped", shipped, best, layers[best].bytes, 1.0))
        return ratios


def machine() -> str:
    cores = os.cpu_count() or 0
    system = f"{platform.system()} {platform.release()}"
    return f"{platform.machine()}, {cores} cores, {system}, Python {sys.version.split()[0]}"


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def table(figures: Figures) -> str:
    """The Markdown table: one row per adapter; warm overhead per case (µs), cold start (ms), layer zip (KB)."""
    headers = ["Adapter"]
    if figures.warm is not None:
        headers += [f"{case.label} (µs)" for case in figures.cases]
    if figures.cold is not None:
        headers.append("Cold start (ms)")
    if figures.layers is not None:
        headers.append("Layer zip (KB)")
    rows: list[list[str]] = []
    for contender in figures.contenders:
        row = [contender.label]
        if figures.warm is not None:
            row += [_fmt(figures.warm.overhead_us(case.name, contender.name)) for case in figures.cases]
        if figures.cold is not None:
            row.append(_fmt(figures.cold[contender.name].median_ms))
        if figures.layers is not None:
            row.append(_fmt(figures.layers[contender.name].kb, 0))
        rows.append(row)
        if contender.is_ours and figures.warm is not None:
            warm = figures.warm
            for variant in VARIANTS:
                if warm.measured(variant.name):
                    cells = [variant.label, *(_fmt(warm.overhead_us(c.name, variant.name)) for c in figures.cases)]
                    rows.append(cells + [""] * (len(headers) - len(cells)))
    if figures.warm is not None:
        row = ["Flask alone, called directly (not overhead: its whole time)"]
        row += [_fmt(figures.warm.per_request_us(case.name, DIRECT)) for case in figures.cases]
        row += [""] * (len(headers) - len(row))
        rows.append(row)
    widths = [max(len(line[i]) for line in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        padded = [
            cells[0].ljust(widths[0]),
            *(cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)),
        ]
        return "| " + " | ".join(padded) + " |"

    separator = "|" + "|".join(["-" * (widths[0] + 2), *("-" * (width + 1) + ":" for width in widths[1:])]) + "|"
    return "\n".join([line(headers), separator, *(line(row) for row in rows)])


def text(figures: Figures) -> str:
    parts = [f"Machine: {machine()}", ""]
    notes: list[str] = []
    if figures.warm is not None:
        notes.append(
            f"Warm: overhead = handler time - the same Flask app called directly with a prebuilt environ; "
            f"fastest of {figures.warm.repeats} batches x {figures.warm.requests} requests, HTTP API 2.0 events."
        )
    if figures.cold is not None:
        notes.append(
            f"Cold start: fresh `python -I` process, import of the handler module + first response, "
            f"median of {figures.cold_runs} runs (interpreter start-up excluded)."
        )
    if figures.layers is not None:
        notes.append("Layer: pinned Flask stack + adapter via `pip install --target`, zipped without __pycache__.")
    parts += [table(figures), "", *notes]
    if figures.shipped_layer is not None:
        shipped = figures.shipped_layer
        parts.append(
            f"Our layer as `./build.sh package` ships it (same architecture): {shipped.kb:,.0f} KB "
            f"({shipped.files} files): its packaging also leaves out pip's bookkeeping, console scripts, "
            "type stubs and werkzeug's debugger, which a plain `pip install --target` keeps."
        )
    ratios = figures.ratios()
    if ratios:
        parts += ["", "Ratios (this layer / best peer):"]
        for ratio in ratios:
            verdict = {True: "met", False: "MISSED", None: "undefined (peer at or below 0)"}[ratio.met]
            parts.append(
                f"  {ratio.metric}: {_fmt(ratio.value, 2)} vs {ratio.best_peer} "
                f"({_fmt(ratio.ours, 1)} / {_fmt(ratio.best, 1)}), target ≤ {ratio.target:g}: {verdict}"
            )
    return "\n".join(parts)


def as_json(figures: Figures) -> dict[str, Any]:
    data: dict[str, Any] = {
        "machine": machine(),
        "adapters": {contender.name: contender.label for contender in figures.contenders},
    }
    if figures.warm is not None:
        warm = figures.warm

        def timed(case: str) -> list[str]:  # every adapter and variant of this layer, not the direct call
            return [name for name in warm.batches[case] if name != DIRECT]

        data["warm"] = {
            "requests_per_batch": warm.requests,
            "batches": warm.repeats,
            "cases": {
                case.name: {
                    "label": case.label,
                    "direct_us": warm.per_request_us(case.name, DIRECT),
                    "handler_us": {name: warm.per_request_us(case.name, name) for name in timed(case.name)},
                    "overhead_us": {name: warm.overhead_us(case.name, name) for name in timed(case.name)},
                    "median_direct_us": warm.median_us(case.name, DIRECT),
                    "median_handler_us": {name: warm.median_us(case.name, name) for name in timed(case.name)},
                    "batches_ns": warm.batches[case.name],
                }
                for case in figures.cases
            },
        }
    if figures.cold is not None:
        data["cold_start"] = {
            name: {
                "median_ms": result.median_ms,
                "first_response_ms": result.first_response_ms,
                "median_cpu_ms": median(result.cpu_ms),
                "import_ms": result.import_ms,
                "cpu_ms": result.cpu_ms,
                "process_ms": result.process_ms,
            }
            for name, result in figures.cold.items()
        }
    if figures.layers is not None:
        data["layer_zip"] = {name: {"bytes": size.bytes, "files": size.files} for name, size in figures.layers.items()}
    if figures.shipped_layer is not None:
        data["shipped_layer_zip"] = {"bytes": figures.shipped_layer.bytes, "files": figures.shipped_layer.files}
    data["ratios"] = [
        {"metric": r.metric, "value": r.value, "best_peer": r.best_peer, "target": r.target, "met": r.met}
        for r in figures.ratios()
    ]
    return data


def write_json(figures: Figures, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(as_json(figures), indent=2) + "\n")
