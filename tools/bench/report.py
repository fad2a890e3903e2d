"""The benchmark's output: one Markdown table (row x metric), the targets with met/MISSED, and the JSON figures.

The targets are the project's: warm overhead at the default settings at most half the best peer's (geometric mean
over the cases), a cold start of the default package within 5% of the floor and no slower than the best peer, and
at most 10 µs of base64 for a 100 KB binary response.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

from .adapters import FLOOR, OURS, Contender, Row
from .base64_cost import BODY_BYTES, TARGET_US, Base64Result
from .cold import ColdResult
from .events import Case
from .packaging import ZipSize
from .snapstart import SnapStartResult
from .stream import LOOP_LABELS, LOOPS, StreamResult
from .warm import DIRECT, EPSILON_US, WarmResult

WARM_TARGET = 0.5  # ours / best peer, geometric means of the per-case overhead
COLD_FLOOR_TARGET = 1.05  # ours / the floor
COLD_PEER_TARGET = 1.0  # ours / the best peer


@dataclass(frozen=True)
class Target:
    """A figure against its ceiling: `ours / against` when compared with a reference, else `ours` itself."""

    metric: str
    ours: float
    target: float
    reference: str = ""
    against: float | None = None
    unit: str = ""

    @property
    def value(self) -> float | None:
        if self.against is None:
            return self.ours
        return self.ours / self.against if self.against > 0 else None

    @property
    def met(self) -> bool | None:
        return None if self.value is None else self.value <= self.target

    def describe(self) -> str:
        verdict = {True: "met", False: "MISSED", None: "undefined (reference at or below 0)"}[self.met]
        if self.against is None:
            return f"{self.metric}: {_fmt(self.ours, 1)} {self.unit}, target ≤ {self.target:g} {self.unit}: {verdict}"
        return (
            f"{self.metric}: {_fmt(self.value, 2)}x {self.reference} ({_fmt(self.ours, 1)} / "
            f"{_fmt(self.against, 1)} {self.unit}), target ≤ {self.target:g}x: {verdict}"
        )


@dataclass
class Figures:
    contenders: list[Contender]
    cases: list[Case]
    rows: list[Row] = field(default_factory=list)
    warm: WarmResult | None = None
    cold: dict[str, ColdResult] | None = None
    cold_runs: int = 0
    layers: dict[str, ZipSize] | None = None
    functions: dict[str, ZipSize] | None = None
    base64: Base64Result | None = None
    snapstart: SnapStartResult | None = None
    stream: StreamResult | None = None

    def peers(self) -> list[Contender]:
        return [contender for contender in self.contenders if contender.role == "peer"]

    def best_warm_peer(self) -> str | None:
        warm = self.warm
        peers = [peer.name for peer in self.peers() if warm is not None and warm.measured(peer.name)]
        return min(peers, key=warm.geomean_overhead_us) if warm is not None and peers else None

    def best_cold_peer(self) -> str | None:
        cold = self.cold
        peers = [peer.name for peer in self.peers() if cold is not None and peer.name in cold]
        return min(peers, key=lambda name: cold[name].median_ms) if cold is not None and peers else None

    def targets(self) -> list[Target]:
        targets: list[Target] = []
        best = self.best_warm_peer()
        if self.warm is not None and best is not None and self.warm.measured(OURS):
            targets.append(
                Target(
                    f"warm overhead at the default settings, geomean over the {len(self.cases)} cases",
                    self.warm.geomean_overhead_us(OURS),
                    WARM_TARGET,
                    best,
                    self.warm.geomean_overhead_us(best),
                    "µs",
                )
            )
        cold = self.cold
        if cold is not None and OURS in cold:
            if FLOOR in cold:
                targets.append(
                    Target(
                        "cold start of the default package",
                        cold[OURS].median_ms,
                        COLD_FLOOR_TARGET,
                        "the floor",
                        cold[FLOOR].median_ms,
                        "ms",
                    )
                )
            best = self.best_cold_peer()
            if best is not None:
                targets.append(
                    Target(
                        "cold start of the default package",
                        cold[OURS].median_ms,
                        COLD_PEER_TARGET,
                        best,
                        cold[best].median_ms,
                        "ms",
                    )
                )
        if self.base64 is not None:
            targets.append(
                Target(
                    f"base64 of a {BODY_BYTES // 1024} KB binary response, as shipped "
                    f"({self.base64.codecs['shipped']})",
                    self.base64.us("shipped"),
                    TARGET_US,
                    unit="µs",
                )
            )
        return targets

    def information(self) -> list[str]:
        """Comparisons without a target: the opt-in rows, the standard-library codec, the layer sizes."""
        lines: list[str] = []
        warm, best = self.warm, self.best_warm_peer()
        if warm is not None and best is not None:
            reference = warm.geomean_overhead_us(best)
            for row in self.rows:
                if row.contender.is_ours and row.name != OURS and warm.measured(row.name):
                    ours = warm.geomean_overhead_us(row.name)
                    lines.append(
                        f"{row.label}: {_fmt(ours / reference if reference > 0 else None, 2)}x {best} "
                        f"({_fmt(ours, 1)} / {_fmt(reference, 1)} µs geomean)"
                    )
        if self.base64 is not None:
            lines.append(
                f"base64 of a {BODY_BYTES // 1024} KB binary response with the standard library "
                f"({self.base64.codecs['stdlib']}): {_fmt(self.base64.us('stdlib'), 1)} µs"
            )
        layers = self.layers
        peers = [peer.name for peer in self.peers() if layers is not None and peer.name in layers]
        if layers is not None and OURS in layers and peers:
            smallest = min(peers, key=lambda name: layers[name].bytes)
            lines.append(
                f"layer zip: {layers[OURS].bytes / layers[smallest].bytes:.2f}x {smallest} "
                f"({layers[OURS].kb:,.0f} / {layers[smallest].kb:,.0f} KB)"
            )
        if self.stream is not None:
            loops = self.stream.loops
            lines.append(
                f"{loops.verdict()} ({_fmt(loops.init_median_ms('layer'))} / "
                f"{_fmt(loops.init_median_ms('awslambdaric'))} ms init median, {_fmt(loops.warm_median_us('layer'))} / "
                f"{_fmt(loops.warm_median_us('awslambdaric'))} µs a warm GET median); the default stays awslambdaric's"
            )
        return lines


def machine() -> str:
    cores = os.cpu_count() or 0
    system = f"{platform.system()} {platform.release()}"
    return f"{platform.machine()}, {cores} cores, {system}, Python {sys.version.split()[0]}"


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


@dataclass(frozen=True)
class _Line:
    label: str
    row: str | None  # the warm row, if any
    contender: str | None  # whose cold start and layer the line shows, if any


def _lines(figures: Figures) -> list[_Line]:
    lines: list[_Line] = []
    by_contender: dict[str, list[Row]] = {}
    for row in figures.rows:
        by_contender.setdefault(row.contender.name, []).append(row)
    for contender in figures.contenders:
        rows = by_contender.get(contender.name) if figures.warm is not None else None
        if not rows:
            lines.append(_Line(contender.label, None, contender.name))
            continue
        lines.append(_Line(rows[0].label, rows[0].name, contender.name))
        lines += [_Line(row.label, row.name, None) for row in rows[1:]]
    return lines


def table(figures: Figures) -> str:
    """The Markdown table: warm overhead per case and its geomean (µs), cold start (ms), layer zip (KB)."""
    warm = figures.warm
    headers = ["Contender"]
    if warm is not None:
        headers += [f"{case.label} (µs)" for case in figures.cases] + ["Geomean (µs)"]
    if figures.cold is not None:
        headers.append("Cold start (ms)")
    if figures.layers is not None:
        headers.append("Layer zip (KB)")
    rows: list[list[str]] = []
    for entry in _lines(figures):
        cells = [entry.label]
        if warm is not None:
            if entry.row is not None and warm.measured(entry.row):
                cells += [_fmt(warm.overhead_us(case.name, entry.row)) for case in figures.cases]
                cells.append(_fmt(warm.geomean_overhead_us(entry.row)))
            else:
                cells += [""] * (len(figures.cases) + 1)
        if figures.cold is not None:
            cold = figures.cold.get(entry.contender) if entry.contender else None
            cells.append(_fmt(cold.median_ms) if cold else "")
        if figures.layers is not None:
            layer = figures.layers.get(entry.contender) if entry.contender else None
            cells.append(_fmt(layer.kb, 0) if layer else "")
        rows.append(cells)
    if warm is not None:
        cells = ["Flask alone, called directly (its whole time, not overhead)"]
        cells += [_fmt(warm.per_request_us(case.name, DIRECT)) for case in figures.cases]
        cells.append(_fmt(warm.geomean_direct_us()))
        rows.append(cells + [""] * (len(headers) - len(cells)))
    return markdown(headers, rows)


def notes(figures: Figures) -> list[str]:
    parts: list[str] = []
    if figures.warm is not None:
        parts.append(
            f"Warm: overhead = handler time - the same Flask app called directly with a prebuilt environ; fastest "
            f"of {figures.warm.repeats} batches x {figures.warm.requests} requests, HTTP API 2.0 events, under "
            "awslambdaric's own logging (text format; the JSON row, its JSON format) writing to /dev/null. Geomean: "
            f"geometric mean over the cases, an overhead below {EPSILON_US:g} µs (zero or negative: as fast as the "
            f"direct call, within noise) counted as {EPSILON_US:g} µs. As "
            "shipped: access line off, pybase64 importable."
        )
    if figures.cold is not None:
        parts.append(
            f"Cold start: `python -I -B runtime.py MODULE /var/task /opt/python` on each package unpacked read-only "
            f"as Lambda does; import of the handler module + first response, median of {figures.cold_runs} runs "
            "taking turns (interpreter start-up excluded)."
        )
        for name, result in figures.cold.items():
            if result.compiled_from_package:
                parts.append(
                    f"WARNING: {name}'s package lacks valid bytecode: {len(result.compiled_from_package)} of its "
                    f"{result.modules_from_package} modules were compiled at every cold start."
                )
        if not any(result.compiled_from_package for result in figures.cold.values()):
            counts = ", ".join(f"{name} {result.modules_from_package}" for name, result in figures.cold.items())
            parts.append(
                f"Bytecode: every module of every package loaded from its pycs, none compiled ({counts} modules)."
            )
    if figures.layers is not None or figures.cold is not None:
        parts.append(
            "Packages: ours as `./build.sh package` builds them by default (flask_lambda/package/); the peers' and the "
            "floor's layer as `pip install --target python -r requirements/layer.txt ADAPTER` (pybase64 left out "
            "for the peers, which do not use it) then "
            "`zip -qr layer.zip python`, their function folder (routes.py, handler module, the __pycache__ a local "
            "run leaves) with `zip -qr`, unpacked with `unzip`, which keeps pip's timestamp pycs valid."
        )
    return parts


def text(figures: Figures) -> str:
    tabled = figures.warm is not None or figures.cold is not None or figures.layers is not None
    parts = [f"Machine: {machine()}", *(["", table(figures)] if tabled else [])]
    described = notes(figures)
    if described:
        parts += ["", *described]
    parts += [*snapstart_lines(figures.snapstart), *stream_lines(figures.stream)]
    targets = figures.targets()
    if targets:
        parts += ["", "Targets:"]
        parts += [f"  {target.describe()}" for target in targets]
    information = figures.information()
    if information:
        parts += ["", "For information (no target):"]
        parts += [f"  {line}" for line in information]
    return "\n".join(parts)


def snapstart_lines(result: SnapStartResult | None) -> list[str]:
    """The SnapStart rows: from asking for an environment to its first response, per variant."""
    if result is None:
        return []
    cold = result.median_ms("cold start")
    lines = ["", "SnapStart on serve's emulation (this layer; a fork stands in for Lambda's restore):"]
    for variant, runs in result.first_response_ms.items():
        ratio = "" if variant == "cold start" else f"  {result.median_ms(variant) / cold:.2f}x the cold start"
        lines.append(
            f"  {variant:<18} first response {median(runs):7.1f} ms median (min {min(runs):.1f}, max {max(runs):.1f},"
            f" {len(runs)} runs){ratio}"
        )
    return lines


def markdown(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(line[i]) for line in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        padded = [
            cells[0].ljust(widths[0]),
            *(cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)),
        ]
        return "| " + " | ".join(padded) + " |"

    separator = "|" + "|".join(["-" * (widths[0] + 2), *("-" * (width + 1) + ":" for width in widths[1:])]) + "|"
    return "\n".join([line(headers), separator, *(line(row) for row in rows)])


def stream_lines(result: StreamResult | None) -> list[str]:
    """Streamed against buffered answers, then the runtime loops: two tables and how they were measured."""
    if result is None:
        return []
    rows: list[list[str]] = []
    for response in result.responses:
        note = response.buffered_note()
        rows.append(
            [
                response.response.label,
                _fmt(response.min_ms("streamed", "ttfb_ms")),
                _fmt(response.min_ms("streamed", "total_ms")),
                note or _fmt(response.min_ms("buffered", "ttfb_ms")),
                note or _fmt(response.min_ms("buffered", "total_ms")),
            ]
        )
    headers = ["Response", "Streamed: first byte (ms)", "Streamed: total (ms)", "Buffered: first byte (ms)"]
    loops = result.loops
    loop_rows = [
        [
            LOOP_LABELS[loop],
            _fmt(loops.init_median_ms(loop)),
            _fmt(min(loops.init_ms[loop])),
            _fmt(loops.warm_us(loop)),
            _fmt(loops.warm_median_us(loop)),
        ]
        for loop in LOOPS
    ]
    loop_headers = ["Runtime loop, buffered", "Init (ms)", "Init, min (ms)", "Warm GET (µs)", "Warm GET, median (µs)"]
    return [
        "",
        "Streaming on serve's Runtime API (this layer; the function set up to stream function URL events):",
        "",
        markdown([*headers, "Buffered: total (ms)"], rows),
        "",
        f"Streamed: a function URL event, the body's bytes timed as they reach serve from the Runtime API; buffered: "
        f"the same view through an HTTP API 2.0 event, the whole result at the end (the first byte is the last). "
        f"From the invoke, fastest of {result.repeats} runs after an untimed one (medians in the JSON).",
        "",
        markdown(loop_headers, loop_rows),
        "",
        f"Runtime loops: the default function (GET, small JSON; no LAMBDA_WSGI_STREAM) on the same Runtime API. "
        f"Init: from starting the process to its first request for an event, median of {len(loops.init_ms[LOOPS[0]])} "
        f"fresh environments each, taking turns. Warm GET: per invocation, fastest of "
        f"{len(loops.batches_ns[LOOPS[0]])} batches of {loops.requests} sequential invocations, taking turns.",
    ]


def stream_json(result: StreamResult) -> dict[str, Any]:
    loops = result.loops
    return {
        "runs": result.repeats,
        "responses": {
            response.response.name: {
                "label": response.response.label,
                "body_bytes": response.response.body_bytes,
                "buffered_status": response.buffered_status,
                "buffered_note": response.buffered_note(),
                **{
                    f"{mode}_{what}": {
                        "min": response.min_ms(mode, f"{what}_ms"),
                        "median": response.median_ms(mode, f"{what}_ms"),
                        "runs": [getattr(timing, f"{what}_ms") for timing in getattr(response, mode)],
                    }
                    for mode in ("streamed", "buffered")
                    for what in ("ttfb", "total")
                },
            }
            for response in result.responses
        },
        "runtime_loops": {
            "requests_per_batch": loops.requests,
            "verdict": loops.verdict(),
            **{
                loop: {
                    "label": LOOP_LABELS[loop],
                    "init_median_ms": loops.init_median_ms(loop),
                    "init_ms": loops.init_ms[loop],
                    "warm_us": loops.warm_us(loop),
                    "warm_median_us": loops.warm_median_us(loop),
                    "batches_ns": loops.batches_ns[loop],
                }
                for loop in LOOPS
            },
        },
    }


def as_json(figures: Figures) -> dict[str, Any]:
    data: dict[str, Any] = {
        "machine": machine(),
        "contenders": {contender.name: contender.label for contender in figures.contenders},
    }
    warm = figures.warm
    if warm is not None:
        rows = [row for row in figures.rows if warm.measured(row.name)]
        data["warm"] = {
            "requests_per_batch": warm.requests,
            "batches": warm.repeats,
            "epsilon_us": EPSILON_US,
            "rows": {row.name: row.label for row in rows},
            "geomean_overhead_us": {row.name: warm.geomean_overhead_us(row.name) for row in rows},
            "geomean_direct_us": warm.geomean_direct_us(),
            "cases": {
                case.name: {
                    "label": case.label,
                    "direct_us": warm.per_request_us(case.name, DIRECT),
                    "handler_us": {row.name: warm.per_request_us(case.name, row.name) for row in rows},
                    "overhead_us": {row.name: warm.overhead_us(case.name, row.name) for row in rows},
                    "median_direct_us": warm.median_us(case.name, DIRECT),
                    "median_handler_us": {row.name: warm.median_us(case.name, row.name) for row in rows},
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
                "modules_from_package": result.modules_from_package,
                "package_modules": result.package_modules,
                "standard_modules": result.standard_modules,
                "compiled_from_package": result.compiled_from_package,
            }
            for name, result in figures.cold.items()
        }
    if figures.layers is not None:
        data["layer_zip"] = {name: {"bytes": size.bytes, "files": size.files} for name, size in figures.layers.items()}
    if figures.functions is not None:
        data["function_zip"] = {
            name: {"bytes": size.bytes, "files": size.files} for name, size in figures.functions.items()
        }
    if figures.base64 is not None:
        data["base64_100kb"] = {
            "body_bytes": BODY_BYTES,
            "calls_per_batch": figures.base64.calls,
            "codecs": figures.base64.codecs,
            "us": {codec: figures.base64.us(codec) for codec in figures.base64.batches},
            "batches_ns": figures.base64.batches,
        }
    if figures.stream is not None:
        data["stream"] = stream_json(figures.stream)
    data["targets"] = [
        {
            "metric": t.metric,
            "ours": t.ours,
            "reference": t.reference or None,
            "against": t.against,
            "value": t.value,
            "target": t.target,
            "met": t.met,
        }
        for t in figures.targets()
    ]
    data["information"] = figures.information()
    return data


def write_json(figures: Figures, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(as_json(figures), indent=2) + "\n")
