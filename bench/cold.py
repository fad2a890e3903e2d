"""Cold start: a fresh interpreter imports the handler module and answers its first event.

Each run is `python -I runtime.py MODULE`; runs take turns across contenders, and the median is reported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from time import perf_counter_ns

from .adapters import Contender
from .events import Case

RUNTIME = Path(__file__).resolve().parent / "runtime.py"
TIMEOUT_S = 60


@dataclass
class ColdResult:
    """Per run, in ms: import of the handler module, import plus first response, the CPU time of that (all in
    the child), and the wall time of the whole process (interpreter start-up and exit included)."""

    import_ms: list[float] = field(default_factory=list)
    first_response_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    process_ms: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return median(self.first_response_ms)


def run_once(contender: Contender, case: Case, python: str = sys.executable) -> tuple[float, float, float, float]:
    """One cold start: `(import, import + first response, its CPU time, whole process)` in ms."""
    # A clean environment, as in a new execution environment: nothing like LAMBDA_WSGI_APP leaks in.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "TZ": ":UTC"}
    command = [python, "-I", str(RUNTIME), contender.module, *contender.cold_start_paths()]
    started = perf_counter_ns()
    completed = subprocess.run(
        command, input=json.dumps(case.event()), capture_output=True, text=True, env=env, timeout=TIMEOUT_S, check=False
    )
    wall_ms = (perf_counter_ns() - started) / 1e6
    if completed.returncode != 0:
        raise RuntimeError(f"cold start of {contender.name} failed ({completed.returncode}):\n{completed.stderr}")
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    if report["status"] != 200:
        raise RuntimeError(f"cold start of {contender.name} answered {report['status']}, not 200")
    return report["import_ns"] / 1e6, report["total_ns"] / 1e6, report["cpu_ns"] / 1e6, wall_ms


def measure_cold(
    contenders: list[Contender], case: Case, *, runs: int, python: str = sys.executable
) -> dict[str, ColdResult]:
    """`runs` cold starts per contender after one untimed run each (it writes the bytecode caches)."""
    results = {contender.name: ColdResult() for contender in contenders}
    for contender in contenders:
        run_once(contender, case, python)
    for _ in range(runs):
        for contender in contenders:
            imported, first, cpu, wall = run_once(contender, case, python)
            result = results[contender.name]
            result.import_ms.append(imported)
            result.first_response_ms.append(first)
            result.cpu_ms.append(cpu)
            result.process_ms.append(wall)
    return results
