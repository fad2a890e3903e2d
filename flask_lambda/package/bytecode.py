"""Bytecode: every module compiled beside its source, as the `__pycache__` pycs Lambda's Python loads.

Unchecked-hash pycs (PEP 552) are the same bytes on every build and name the files where Lambda puts them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .common import PYTHON_VERSION, PackageError, display

# The bytecode files Lambda's Python looks for (`__pycache__/<module>.cpython-313.pyc`).
CACHE_TAG = "cpython-" + PYTHON_VERSION.replace(".", "")


def compile_modules(entries: dict[str, Path], work: Path, root: str, *, lenient: bool = False) -> dict[str, Path]:
    """Bytecode for every module of `entries`, as the `__pycache__/*.cpython-313.pyc` entries Python looks for.

    /opt and /var/task are read-only on Lambda, so without these every cold start compiles Flask's stack
    and the function again (about 0.4 s on a 2-core machine). Unchecked-hash pycs (PEP 552) are valid
    whatever the files' times and are the same bytes on every build; their code objects name the files
    where Lambda puts them, under `root`. The sources stay beside them, for tracebacks to quote.

    With `lenient`, a file that does not compile gets no pyc, as pip does: a package may ship templates or
    test data named `*.py` that nothing imports. Otherwise it stops the build.
    """
    if sys.implementation.cache_tag != CACHE_TAG:
        raise PackageError(
            f"bytecode for Lambda's Python {PYTHON_VERSION} needs that Python to compile it, but this is "
            f"{sys.version.split()[0]} ({sys.executable}); use ./build.sh package"
        )
    modules = {name: source for name, source in entries.items() if name.endswith(".py")}
    jobs = [(str(source), str(work / _pyc_name(name)), f"{root}/{name}") for name, source in modules.items()]
    completed = subprocess.run(
        [sys.executable, "-I", "-c", _COMPILER], input=json.dumps(jobs), capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise PackageError(f"the compiler of the modules failed:\n{completed.stderr}")
    failures: dict[str, str] = json.loads(completed.stdout)
    if not lenient:
        for source in modules.values():
            if str(source) in failures:
                raise PackageError(f"{display(source)} does not compile: {failures[str(source)]}")
    return {_pyc_name(name): work / _pyc_name(name) for name, source in modules.items() if str(source) not in failures}


def _pyc_name(name: str) -> str:
    """`a/b.py` -> `a/__pycache__/b.cpython-313.pyc`, whatever this interpreter's pycache prefix or `-O` flags."""
    folder, _, file = name.rpartition("/")
    cached = f"__pycache__/{file.removesuffix('.py')}.{CACHE_TAG}.pyc"
    return f"{folder}/{cached}" if folder else cached


# Run by an interpreter of its own, which imports nothing else: a pyc's bytes depend on the compiling process
# (marshal flags an object for sharing by its reference count, which the strings that process's imports interned
# and made immortal change), so the zips must not depend on what the build, serve or a test run had imported.
_COMPILER = """
import json, py_compile, sys, warnings
failures = {}
# A dependency's SyntaxWarnings (invalid escapes...) are its authors' to fix, not noise for this build.
warnings.simplefilter("ignore")
for source, destination, shown_as in json.load(sys.stdin):
    try:
        py_compile.compile(
            source,
            cfile=destination,
            dfile=shown_as,
            doraise=True,
            optimize=0,  # asserts and docstrings kept: Lambda runs without -O
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
    except py_compile.PyCompileError as error:
        failures[source] = str(error.exc_value)
json.dump(failures, sys.stdout)
"""
