"""Cold start: a fresh interpreter imports the handler module from the unpacked package and answers its first event.

Each run is `python -I -B runtime.py MODULE /var/task /opt/python` on a read-only tree built and unpacked as the
contender's users deploy it (see packaging.py); runs take turns across contenders, and the median is reported.
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
from typing import Any

from .adapters import Contender
from .events import Case
from .packaging import LambdaTree

RUNTIME = Path(__file__).resolve().parent / "runtime.py"
TIMEOUT_S = 60


@dataclass
class ColdResult:
    """Per run, in ms: import of the handler module, import plus first response, the CPU time of that (all in
    the child), and the wall time of the whole process (interpreter start-up and exit included). Also, from the
    last run: how many modules loaded from the package, and which of those were compiled from source because
    no valid bytecode was there (none, for a package that ships valid pycs)."""

    import_ms: list[float] = field(default_factory=list)
    first_response_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    process_ms: list[float] = field(default_factory=list)
    modules_from_package: int = 0
    package_modules: list[str] = field(default_factory=list)
    standard_modules: list[str] = field(default_factory=list)  # the standard library's, built-in ones included
    compiled_from_package: list[str] = field(default_factory=list)
    flask_pyc: str | None = None  # the bytecode file flask's package was loaded with, if there is one

    @property
    def median_ms(self) -> float:
        return median(self.first_response_ms)


def run_child(module: str, tree: LambdaTree, case: Case, python: str = sys.executable) -> tuple[dict[str, Any], float]:
    """One cold start: the child's report and the wall time of its whole process in ms."""
    # A clean environment, as in a new execution environment: nothing like LAMBDA_WSGI_APP leaks in.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "TZ": ":UTC"}
    command = [python, "-I", "-B", str(RUNTIME), module, *tree.paths()]
    started = perf_counter_ns()
    completed = subprocess.run(
        command, input=json.dumps(case.event()), capture_output=True, text=True, env=env, timeout=TIMEOUT_S, check=False
    )
    wall_ms = (perf_counter_ns() - started) / 1e6
    if completed.returncode != 0:
        raise RuntimeError(f"cold start of {module} failed ({completed.returncode}):\n{completed.stderr}")
    report: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report, wall_ms


def run_once(contender: Contender, tree: LambdaTree, case: Case, python: str = sys.executable) -> dict[str, Any]:
    report, wall_ms = run_child(contender.module, tree, case, python)
    if report["status"] != 200:
        raise RuntimeError(f"cold start of {contender.name} answered {report['status']}, not 200")
    if report["outside_package"]:
        raise RuntimeError(
            f"the {contender.name} package lacks modules it loaded from the benchmark's environment instead: "
            f"{', '.join(report['outside_package'])}"
        )
    report["process_ms"] = wall_ms
    return report


def measure_cold(
    contenders: list[Contender], trees: dict[str, LambdaTree], case: Case, *, runs: int, python: str = sys.executable
) -> dict[str, ColdResult]:
    """`runs` cold starts per contender, in turns (each round starting one contender further on, so none always
    runs right after the same one), after one untimed run each (it brings the files into the page cache; nothing
    is written: the trees are read-only and the child runs with -B)."""
    results = {contender.name: ColdResult() for contender in contenders}
    for contender in contenders:
        run_once(contender, trees[contender.name], case, python)
    for round_ in range(runs):
        shift = round_ % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            report = run_once(contender, trees[contender.name], case, python)
            result = results[contender.name]
            result.import_ms.append(report["import_ns"] / 1e6)
            result.first_response_ms.append(report["total_ns"] / 1e6)
            result.cpu_ms.append(report["cpu_ns"] / 1e6)
            result.process_ms.append(report["process_ms"])
            result.modules_from_package = report["modules_from_package"]
            result.package_modules = report["package_modules"]
            result.standard_modules = report["standard_modules"]
            result.compiled_from_package = report["compiled_from_package"]
            result.flask_pyc = report["flask_pyc"]
    return results
