"""The layer: `python/main.py`, `python/lambda_wsgi/` and the pinned requirements, installed for Lambda.

What pip installs is trimmed to what runs there: no scripts, caches, install bookkeeping, tests or stubs.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from lambda_wsgi.settings import EXEC_WRAPPER

from .bytecode import compile_modules
from .common import LAYER_DIR, LAYER_REQUIREMENTS, PackageError, display
from .pip import install
from .zips import Built, write_zip

# Where Lambda puts the layer's files: the code objects of the bytecode name these paths.
LAYER_ROOT = "/opt"
# The layer's files that belong at its root, not among the Python modules: the runtime loop's start script, which
# `AWS_LAMBDA_EXEC_WRAPPER` names as /opt/flask-lambda-runtime.
LAYER_ROOT_FILES = frozenset({EXEC_WRAPPER.removeprefix(LAYER_ROOT + "/")})
# What importlib.metadata reads at run time (version(), entry_points()) and the licence notices the
# packages ask to be redistributed with; pip's own bookkeeping (RECORD, INSTALLER, WHEEL...) stays out.
_DIST_INFO_KEPT = ("METADATA", "entry_points.txt")
_LICENCE_PREFIXES = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "AUTHORS")
# Build inputs and type-checker files: nothing imports them at run time.
_BUILD_SUFFIXES = (".pyc", ".pyo", ".c", ".h", ".cpp", ".pyx", ".pxd", ".pyi")
CACHE_DIRS = frozenset({"__pycache__"})
_SKIPPED_DIRS = CACHE_DIRS | {"tests", "test"}
# What no Lambda function can run: werkzeug's interactive debugger (a browser console that runs code, which
# must never be reachable in production) and its development server's reloader, both `flask run --debug`
# only; werkzeug's demo page, which shows the WSGI environment and nothing imports; click's Windows console.
# Nor `__main__.py` files (see `_trimmed_away`): only `python -m <package>` runs them. Nor pybase64's pure-Python
# fallback: should its native code not load, the layer falls back to the standard library's codec itself.
_NOT_ON_LAMBDA = (
    "werkzeug/debug/",
    "werkzeug/_reloader.py",
    "werkzeug/testapp.py",
    "click/_winconsole.py",
    "pybase64/_fallback.py",
)


def layer_inputs_digest(arch: str, layer_dir: Path = LAYER_DIR, requirements: Path = LAYER_REQUIREMENTS) -> str:
    """A digest of everything the layer is built from, stored in the zip's comment to tell when to rebuild."""
    digest = hashlib.sha256(f"{arch}\0".encode())
    digest.update(requirements.read_bytes())
    for name, path in sorted(_source_files(layer_dir)):
        digest.update(f"\0{name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_layer(
    out: Path,
    arch: str,
    *,
    layer_dir: Path = LAYER_DIR,
    requirements: Path = LAYER_REQUIREMENTS,
    reuse: bool = False,
    bytecode: bool = True,
) -> Built:
    """`python/main.py`, `python/lambda_wsgi/` and the requirements installed for Lambda's Python and `arch`.

    With `reuse`, an existing zip built from the same inputs, with or without bytecode as asked, is kept as it is.
    With `bytecode`, every module also ships compiled (see `compile_modules`).
    """
    if not (layer_dir / "main.py").is_file():
        raise PackageError(f"{display(layer_dir / 'main.py')} is missing: the layer's entry point `main.handler`")
    if not requirements.is_file():
        raise PackageError(f"{display(requirements)} is missing: it pins what the layer ships")
    digest = layer_inputs_digest(arch, layer_dir, requirements)
    comment = f"inputs-sha256:{digest}{' bytecode' if bytecode else ''}".encode()
    if reuse and out.is_file():
        with zipfile.ZipFile(out) as existing:
            if existing.comment == comment:
                return Built(out, len(existing.infolist()), out.stat().st_size)
    entries: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="layer-") as target:
        install(requirements, Path(target), arch)
        for name, path in installed_files(Path(target)):
            entries["python/" + name] = path
        for name, path in _source_files(layer_dir):
            key = name if name in LAYER_ROOT_FILES else "python/" + name
            if key in entries:
                raise PackageError(f"{display(requirements)} installs {name}, which the layer's own code also has")
            entries[key] = path
        if bytecode:
            entries.update(compile_modules(entries, Path(target) / ".bytecode", LAYER_ROOT))
        return write_zip(out, entries, comment, programs=LAYER_ROOT_FILES)


def installed_files(target: Path, *, trimmed: bool = True) -> Iterator[tuple[str, Path]]:
    """What pip installed that the runtime uses: no scripts, caches or install bookkeeping.

    `trimmed` (the layer's known Flask stack) also leaves out tests, build inputs and type stubs; a function's
    own dependencies may need any of their files at run time, so they keep them.
    """
    for name, path in _walk(target, skipped=_SKIPPED_DIRS if trimmed else CACHE_DIRS):
        top, _, rest = name.partition("/")
        if top == "bin":
            continue  # console scripts: their first line names this machine's interpreter
        if top.endswith(".dist-info"):
            if rest in _DIST_INFO_KEPT or _is_licence(rest):
                yield name, path
            continue
        if name.endswith((".pyc", ".pyo")) or (trimmed and _trimmed_away(name)):
            continue
        yield name, path


def _trimmed_away(name: str) -> bool:
    return (
        name.endswith(_BUILD_SUFFIXES)
        or name.endswith(("/py.typed", "/__main__.py"))
        or name.startswith(_NOT_ON_LAMBDA)
    )


def _is_licence(name: str) -> bool:
    return name.startswith("licenses/") or name.upper().startswith(_LICENCE_PREFIXES)


def _source_files(directory: Path) -> Iterator[tuple[str, Path]]:
    for name, path in _walk(directory):
        if not name.endswith((".pyc", ".pyo")):
            yield name, path


def _walk(directory: Path, skipped: frozenset[str] = _SKIPPED_DIRS) -> Iterator[tuple[str, Path]]:
    """Files under `directory` as (posix name, path), skipping hidden folders and `skipped` (caches, tests)."""
    for folder, dirs, files in os.walk(directory):
        dirs[:] = [name for name in dirs if name not in skipped and not name.startswith(".")]
        for file in files:
            path = Path(folder, file)
            if path.is_file():
                yield path.relative_to(directory).as_posix(), path
