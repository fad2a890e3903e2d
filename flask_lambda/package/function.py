"""The function: every file of its folder that ships, and the packages its `requirements.txt` lists.

Those are installed for Lambda against the layer's versions, leaving out what the layer already holds.
"""

from __future__ import annotations

import ast
import csv
import email.parser
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from lambda_wsgi.settings import DEFAULT_APP

from .app import check_app, parse_module
from .bytecode import compile_modules
from .common import PackageError, display
from .ignore import Exclusions
from .layer import CACHE_DIRS, installed_files
from .pip import install, normalise
from .zips import Built, write_zip

# Where Lambda puts the function's files: the code objects of the bytecode name these paths.
TASK_ROOT = "/var/task"
FUNCTION_REQUIREMENTS = "requirements.txt"  # beside routes.py: the function's own third-party packages


def build_function(
    out: Path,
    function_dir: Path,
    arch: str = "arm64",
    layer: Path | None = None,
    *,
    bytecode: bool = True,
    app: str = DEFAULT_APP,
) -> Built:
    """Every file of `function_dir` but those no one deploys (see `function_files`), and the packages its
    `requirements.txt` lists, installed for Lambda's Python and `arch` to run beside `layer` (the layer's zip,
    needed only then: see `_dependencies`). `app` (`module:attribute`) must be defined at the top level of a
    module that ships (see `check_app`). With `bytecode`, every module also ships compiled (see
    `compile_modules`)."""
    files = function_files(function_dir, app, output=out.parent)
    requirements = function_dir / FUNCTION_REQUIREMENTS
    with tempfile.TemporaryDirectory(prefix="function-") as work:
        dependencies = _function_dependencies(requirements, arch, layer, files, Path(work))
        entries = files | dependencies
        if bytecode:
            # The function's own modules must compile (better told now than at a cold start); its
            # dependencies may ship files named *.py that nothing imports (see `compile_modules`).
            entries |= compile_modules(_modules(files), Path(work) / "bytecode", TASK_ROOT)
            entries |= compile_modules(dependencies, Path(work) / "bytecode", TASK_ROOT, lenient=True)
        return write_zip(out, entries)


def _function_dependencies(
    requirements: Path, arch: str, layer: Path | None, files: dict[str, Path], work: Path
) -> dict[str, Path]:
    if not requirements.is_file():
        return {}
    if layer is None or not layer.is_file():
        raise PackageError(f"{display(requirements)} needs the layer's zip, to install against what it holds")
    return _dependencies(requirements, arch, layer, _importable(files), work)


def _dependencies(requirements: Path, arch: str, layer: Path, own: set[str], work: Path) -> dict[str, Path]:
    """What the function's requirements install, minus the distributions the layer already holds.

    The layer's exact versions constrain the install, so a package that needs Flask gets the layer's Flask,
    found on /opt/python at run time, instead of a second copy that would shadow it from /var/task. A
    requirement that no version of the layer's can satisfy stops the build, naming both versions.
    """
    distributions, layer_names = _layer_contents(layer)
    target = work / "target"
    install(requirements, target, arch, layer_versions=distributions)
    left_out: set[str] = set()
    for record in target.glob("*.dist-info/RECORD"):
        if normalise(_metadata(record.with_name("METADATA").read_text())[0]) in distributions:
            with record.open(newline="") as rows:
                left_out.update(row[0] for row in csv.reader(rows) if row)
    installed: dict[str, Path] = {}
    for name, path in installed_files(target, trimmed=False):
        if name in left_out:
            continue
        top = _top_level(name)
        if top in own or top in layer_names:
            whose = "the function's own" if top in own else "the layer's"
            raise PackageError(f"{display(requirements)} installs {name}, which would shadow {whose} {top}")
        installed[name] = path
    return installed


def _layer_contents(layer: Path) -> tuple[dict[str, str], set[str]]:
    """The layer's distributions (normalised name -> version) and its top-level importable names."""
    distributions: dict[str, str] = {}
    names: set[str] = set()
    with zipfile.ZipFile(layer) as archive:
        for entry in archive.namelist():
            inside = entry.removeprefix("python/")
            top = _top_level(inside)
            if inside.endswith(".dist-info/METADATA") and inside.count("/") == 1:
                name, version = _metadata(archive.read(entry).decode())
                distributions[normalise(name)] = version
            elif not top.endswith(".dist-info") and top not in CACHE_DIRS:
                names.add(top)
    return distributions, names


def _metadata(text: str) -> tuple[str, str]:
    """`(Name, Version)` from a distribution's METADATA."""
    headers = email.parser.HeaderParser().parsestr(text)
    return headers["Name"], headers["Version"]


def _importable(files: dict[str, Path]) -> set[str]:
    """The top-level names the function's own files can be imported by (packages and modules, not data)."""
    return {_top_level(name) for name in files if "/" in name or name.endswith(".py")}


def _top_level(name: str) -> str:
    """The importable name a zip entry belongs to: `shop/cart.py` -> `shop`, `helpers.py` -> `helpers`."""
    first, slash, _ = name.partition("/")
    return first if slash else first.split(".")[0]


def _modules(files: dict[str, Path]) -> dict[str, Path]:
    return {name: path for name, path in files.items() if name.endswith(".py")}


def function_files(function_dir: Path, app: str = DEFAULT_APP, *, output: Path | None = None) -> dict[str, Path]:
    """What ships of `function_dir`: all its files (templates, static files, data, modules loaded however they
    are), except `FUNCTION_EXCLUSIONS`, virtualenvs, foreign bytecode, what its `.lambdaignore` lists and the
    `output` folder (where the zips go), should it be inside.

    Stops the build when `app` is not defined at the top level of a module that ships (see `check_app`), a
    module does not parse, or a module imports the folder by its own name (which Lambda's /var/task is not).
    """
    if not function_dir.is_dir():
        raise PackageError(f"{display(function_dir)} is not a folder: --function-dir names the folder of routes.py")
    exclusions = Exclusions.of(function_dir, output)
    files = dict(sorted(_function_tree(function_dir, exclusions)))
    check_app(function_dir, files, app, exclusions)
    importable = _importable(files)
    for name, path in _modules(files).items():
        for module in _imported_modules(parse_module(path), name):
            if module.split(".")[0] == function_dir.name and function_dir.name not in importable:
                raise PackageError(
                    f"{display(path)} imports {module}, but on Lambda the files of {function_dir.name}/ sit at the "
                    f"root of the function: import {module.partition('.')[2] or module} instead"
                )
    return files


def _function_tree(function_dir: Path, exclusions: Exclusions) -> Iterator[tuple[str, Path]]:
    """(posix name, path) of every file that ships, following symbolic links (each folder once per branch)."""
    pending = [(function_dir, "", frozenset({function_dir.resolve()}))]
    while pending:
        folder, prefix, ancestors = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                name, path = prefix + entry.name, Path(entry.path)
                if entry.is_dir():
                    real = path.resolve()
                    if real not in ancestors and exclusions.reason(name, path) is None:
                        pending.append((path, name + "/", ancestors | {real}))
                elif entry.is_file() and exclusions.reason(name, path) is None:
                    yield name, path


def _imported_modules(tree: ast.Module, name: str) -> Iterator[str]:
    """Every module an import statement may load, submodules named in `from x import y` included."""
    package_parts = name.split("/")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package_parts[: len(package_parts) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            if base:
                yield base
            yield from (f"{base}.{alias.name}" if base else alias.name for alias in node.names if alias.name != "*")
