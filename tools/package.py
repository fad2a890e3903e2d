"""Build the Lambda artifacts: `dist/layer.zip` (the adapter, Flask and its dependencies) and `dist/function.zip`.

Both zips are reproducible: sorted entries, fixed timestamps and modes, so equal inputs give equal bytes.
Every module ships compiled beside its source unless asked not to (see `_compile`).
"""

from __future__ import annotations

import argparse
import ast
import csv
import email.parser
import hashlib
import os
import py_compile
import re
import subprocess
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYER_DIR = ROOT / "python-lambda-layer"
LAYER_REQUIREMENTS = ROOT / "requirements" / "layer.txt"
FUNCTION_DIR = ROOT / "api"
# Where Lambda puts each zip's files: the code objects of the bytecode name these paths.
LAYER_ROOT = "/opt"
TASK_ROOT = "/var/task"
FUNCTION_REQUIREMENTS = "requirements.txt"  # beside routes.py: the function's own third-party packages
DIST_DIR = ROOT / "dist"

PYTHON_VERSION = "3.13"
ARCHITECTURES = {"arm64": "aarch64", "x86_64": "x86_64"}
# The bytecode files Lambda's Python looks for (`__pycache__/<module>.cpython-313.pyc`).
CACHE_TAG = "cpython-" + PYTHON_VERSION.replace(".", "")
# The Lambda Python 3.13 runtime is Amazon Linux 2023 (glibc 2.34): any manylinux wheel up to 2_34 runs there.
GLIBC_MINORS = range(34, 16, -1)
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644

# What importlib.metadata reads at run time (version(), entry_points()) and the licence notices the
# packages ask to be redistributed with; pip's own bookkeeping (RECORD, INSTALLER, WHEEL...) stays out.
_DIST_INFO_KEPT = ("METADATA", "entry_points.txt")
_LICENCE_PREFIXES = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "AUTHORS")
# Build inputs and type-checker files: nothing imports them at run time.
_BUILD_SUFFIXES = (".pyc", ".pyo", ".c", ".h", ".cpp", ".pyx", ".pxd", ".pyi")
_CACHE_DIRS = frozenset({"__pycache__"})
_SKIPPED_DIRS = _CACHE_DIRS | {"tests", "test"}
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


class PackageError(Exception):
    """A build that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Built:
    path: Path
    files: int
    size: int

    def describe(self) -> str:
        shown = display(self.path)
        return f"{shown}: {self.size / 1_000_000:.2f} MB ({self.size} bytes, {self.files} files)"


def host_architecture() -> str:
    """The Lambda architecture name of this machine, so locally served layers load their native code."""
    machine = os.uname().machine.lower()
    known = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}
    if machine in known:
        return known[machine]
    raise PackageError(f"this machine's architecture ({machine}) is neither of Lambda's (arm64, x86_64)")


# --- the layer -------------------------------------------------------------------------------------------


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
    With `bytecode`, every module also ships compiled (see `_compile`).
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
        _pip_install(requirements, Path(target), arch)
        for name, path in _installed_files(Path(target)):
            entries["python/" + name] = path
        for name, path in _source_files(layer_dir):
            key = "python/" + name
            if key in entries:
                raise PackageError(f"{display(requirements)} installs {name}, which the layer's own code also has")
            entries[key] = path
        if bytecode:
            entries.update(_compile(entries, Path(target) / ".bytecode", LAYER_ROOT))
        return write_zip(out, entries, comment)


def _compile(entries: dict[str, Path], work: Path, root: str, *, lenient: bool = False) -> dict[str, Path]:
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
    compiled: dict[str, Path] = {}
    for name, source in entries.items():
        if not name.endswith(".py"):
            continue
        cached = _pyc_name(name)
        try:
            _compile_file(source, work / cached, f"{root}/{name}")
        except py_compile.PyCompileError as error:
            if lenient:
                continue
            raise PackageError(f"{display(source)} does not compile: {error.exc_value}") from None
        compiled[cached] = work / cached
    return compiled


def _pyc_name(name: str) -> str:
    """`a/b.py` -> `a/__pycache__/b.cpython-313.pyc`, whatever this interpreter's pycache prefix or `-O` flags."""
    folder, _, file = name.rpartition("/")
    cached = f"__pycache__/{file.removesuffix('.py')}.{CACHE_TAG}.pyc"
    return f"{folder}/{cached}" if folder else cached


def _compile_file(source: Path, destination: Path, shown_as: str) -> None:
    # A dependency's SyntaxWarnings (invalid escapes...) are its authors' to fix, not noise for this build.
    with warnings.catch_warnings(action="ignore"):
        py_compile.compile(
            str(source),
            cfile=str(destination),
            dfile=shown_as,
            doraise=True,
            optimize=0,  # asserts and docstrings kept: Lambda runs without -O
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )


def pip_platforms(arch: str) -> list[str]:
    machine = ARCHITECTURES[arch]
    return [f"manylinux_2_{minor}_{machine}" for minor in GLIBC_MINORS] + [f"manylinux2014_{machine}"]


def _pip_install(requirements: Path, target: Path, arch: str, constraints: Path | None = None) -> None:
    command = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--quiet"]
    command += ["--target", str(target), "--requirement", str(requirements), "--no-compile"]
    if constraints is not None:
        command += ["--constraint", str(constraints)]
    command += ["--only-binary=:all:", "--implementation", "cp", "--python-version", PYTHON_VERSION]
    for platform in pip_platforms(arch):
        command += ["--platform", platform]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        output = "\n".join(
            line
            for line in (completed.stdout + completed.stderr).splitlines()
            # This machine's pip configuration names index folders that may not exist; pip notes each one.
            if line.strip() and not line.startswith("WARNING: Location ")
        )
        raise PackageError(
            f"pip could not install {display(requirements)} for Python {PYTHON_VERSION} on "
            f"manylinux {arch} (binary wheels only):\n{output}"
        )


def _installed_files(target: Path, *, trimmed: bool = True) -> Iterator[tuple[str, Path]]:
    """What pip installed that the runtime uses: no scripts, caches or install bookkeeping.

    `trimmed` (the layer's known Flask stack) also leaves out tests, build inputs and type stubs; a function's
    own dependencies may need any of their files at run time, so they keep them.
    """
    for name, path in _walk(target, skipped=_SKIPPED_DIRS if trimmed else _CACHE_DIRS):
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


# --- the function ----------------------------------------------------------------------------------------


def build_function(
    out: Path,
    function_dir: Path = FUNCTION_DIR,
    arch: str = "arm64",
    layer: Path | None = None,
    *,
    bytecode: bool = True,
) -> Built:
    """`routes.py`, the modules of `function_dir` it imports (transitively) and the data files they name, and
    the packages its `requirements.txt` lists, installed for Lambda's Python and `arch` to run beside `layer`
    (the layer's zip, needed only then: see `_dependencies`). With `bytecode`, every module also ships
    compiled (see `_compile`)."""
    files = function_files(function_dir)
    requirements = function_dir / FUNCTION_REQUIREMENTS
    with tempfile.TemporaryDirectory(prefix="function-") as work:
        dependencies = _function_dependencies(requirements, arch, layer, files, Path(work))
        entries = files | dependencies
        if bytecode:
            # The function's own modules must compile (better told now than at a cold start); its
            # dependencies may ship files named *.py that nothing imports (see `_compile`).
            entries |= _compile(files, Path(work) / "bytecode", TASK_ROOT)
            entries |= _compile(dependencies, Path(work) / "bytecode", TASK_ROOT, lenient=True)
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
    found on /opt/python at run time, instead of a second copy that would shadow it from /var/task.
    """
    distributions, layer_names = _layer_contents(layer)
    target, constraints = work / "target", work / "constraints.txt"
    constraints.write_text("".join(f"{name}=={version}\n" for name, version in sorted(distributions.items())))
    _pip_install(requirements, target, arch, constraints=constraints)
    left_out: set[str] = set()
    for record in target.glob("*.dist-info/RECORD"):
        if _normalise(_metadata(record.with_name("METADATA").read_text())[0]) in distributions:
            with record.open(newline="") as rows:
                left_out.update(row[0] for row in csv.reader(rows) if row)
    installed: dict[str, Path] = {}
    for name, path in _installed_files(target, trimmed=False):
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
                distributions[_normalise(name)] = version
            elif not top.endswith(".dist-info") and top not in _CACHE_DIRS:
                names.add(top)
    return distributions, names


def _metadata(text: str) -> tuple[str, str]:
    """`(Name, Version)` from a distribution's METADATA."""
    headers = email.parser.HeaderParser().parsestr(text)
    return headers["Name"], headers["Version"]


def _normalise(distribution: str) -> str:
    """A distribution name as packaging compares them (PEP 503): `Flask_Cors` is `flask-cors`."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _importable(files: dict[str, Path]) -> set[str]:
    """The top-level names the function's own files can be imported by (packages and modules, not data)."""
    return {_top_level(name) for name in files if "/" in name or name.endswith(".py")}


def _top_level(name: str) -> str:
    """The importable name a zip entry belongs to: `shop/cart.py` -> `shop`, `helpers.py` -> `helpers`."""
    first, slash, _ = name.partition("/")
    return first if slash else first.split(".")[0]


def function_files(function_dir: Path) -> dict[str, Path]:
    routes = function_dir / "routes.py"
    if not routes.is_file():
        raise PackageError(
            f"{display(routes)} is missing: the function's code is a Flask Blueprint named `routes` in routes.py"
        )
    files: dict[str, Path] = {}
    literals: set[str] = set()
    pending = [routes]
    while pending:
        path = pending.pop()
        name = path.relative_to(function_dir).as_posix()
        if name in files:
            continue
        files[name] = path
        tree = _parse(path)
        literals.update(
            node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and type(node.value) is str
        )
        for module in _imported_modules(tree, name):
            local = _local_module(function_dir, module)
            if local:
                pending.extend(local)
            elif module.split(".")[0] == function_dir.name:
                raise PackageError(
                    f"{name} imports {module}, but on Lambda the modules of {function_dir.name}/ sit at the root of "
                    f"the function: import {module.partition('.')[2] or module} instead"
                )
    for name, path in _walk(function_dir):
        if not name.endswith((".py", ".pyc", ".pyo")) and (name in literals or path.name in literals):
            files[name] = path
    return files


def _parse(path: Path) -> ast.Module:
    try:
        return ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as error:
        raise PackageError(f"{display(path)}:{error.lineno}: syntax error: {error.msg}") from None


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


def _local_module(function_dir: Path, module: str) -> list[Path]:
    """The files of `function_dir` that importing `module` runs: package `__init__`s, then the module."""
    found: list[Path] = []
    folder = function_dir
    parts = module.split(".")
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if (folder / part).is_dir() and part not in _SKIPPED_DIRS:
            folder = folder / part
            init = folder / "__init__.py"
            if init.is_file():
                found.append(init)
            elif last:
                return []  # a folder that is no package: nothing to import
        elif last and (folder / f"{part}.py").is_file():
            found.append(folder / f"{part}.py")
        else:
            return found if index else []
    return found


# --- zips ------------------------------------------------------------------------------------------------


def write_zip(out: Path, entries: dict[str, Path], comment: bytes = b"") -> Built:
    """Write `entries` (zip name → file) reproducibly, atomically replacing `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        with zipfile.ZipFile(partial, "w") as archive:
            for name in sorted(entries):
                info = zipfile.ZipInfo(name, ZIP_TIMESTAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Unix, so the mode bits below are read as such
                info.external_attr = _mode(entries[name]) << 16
                archive.writestr(info, entries[name].read_bytes(), compresslevel=9)
            archive.comment = comment
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return Built(out, len(entries), out.stat().st_size)


def _mode(path: Path) -> int:
    """0644, or 0755 for a file pip left executable (a bundled program a package runs)."""
    return FILE_MODE | 0o111 if path.stat().st_mode & 0o100 else FILE_MODE


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- command line ----------------------------------------------------------------------------------------


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="./build.sh package", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--arch", choices=sorted(ARCHITECTURES), default="arm64", help="the function's architecture (default arm64)"
    )
    parser.add_argument("--out-dir", type=Path, default=DIST_DIR, help="where the zips go (default dist/)")
    parser.add_argument(
        "--function-dir", type=Path, default=FUNCTION_DIR, help="the folder holding routes.py (default api/)"
    )
    parser.add_argument(
        "--requirements", type=Path, default=LAYER_REQUIREMENTS, help="what the layer installs (requirements/layer.txt)"
    )
    parser.add_argument(
        "--bytecode",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="ship every module compiled beside its source (the default): cold starts about 3x faster; "
        "--no-bytecode ships sources only, zips about 2.5x smaller",
    )
    return parser.parse_args(None if argv is None else list(argv))


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if f"{sys.version_info.major}.{sys.version_info.minor}" != PYTHON_VERSION:
            raise PackageError(
                f"packaging needs Python {PYTHON_VERSION} (the Lambda runtime's version), but runs on "
                f"{sys.version.split()[0]} ({sys.executable}); use ./build.sh package"
            )
        function_files(args.function_dir)  # a function that can't be built fails before the slow layer build
        layer = build_layer(
            args.out_dir / "layer.zip", args.arch, requirements=args.requirements, bytecode=args.bytecode
        )
        function = build_function(
            args.out_dir / "function.zip", args.function_dir, args.arch, layer.path, bytecode=args.bytecode
        )
    except PackageError as error:
        print(f"package: error: {error}", file=sys.stderr)
        return 1
    compiled = "bytecode" if args.bytecode else "sources only"
    print(f"{layer.describe()}  [layer, Python {PYTHON_VERSION} {args.arch}, {compiled}]")
    print(f"{function.describe()}  [function, {compiled}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
