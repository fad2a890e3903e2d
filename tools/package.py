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
import json
import os
import re
import subprocess
import sys
import tempfile
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


def pip_platforms(arch: str) -> list[str]:
    machine = ARCHITECTURES[arch]
    return [f"manylinux_2_{minor}_{machine}" for minor in GLIBC_MINORS] + [f"manylinux2014_{machine}"]


def _pip_install(requirements: Path, target: Path, arch: str, *, layer_versions: dict[str, str] | None = None) -> None:
    """pip installs `requirements` into `target` for Lambda, constrained to `layer_versions` when given.

    pip runs in the requirements file's folder, so the paths written in it (a local wheel) are read from there,
    wherever the build was started.
    """
    requirements, target = requirements.absolute(), target.absolute()
    command = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-input"]
    command += ["--progress-bar", "off", "--target", str(target), "--requirement", str(requirements), "--no-compile"]
    if layer_versions is not None:
        constraints = target.with_name(f"{target.name}-constraints.txt")
        constraints.write_text("".join(f"{name}=={version}\n" for name, version in sorted(layer_versions.items())))
        command += ["--constraint", str(constraints)]
    command += ["--only-binary=:all:", "--implementation", "cp", "--python-version", PYTHON_VERSION]
    for platform in pip_platforms(arch):
        command += ["--platform", platform]
    completed = subprocess.run(command, capture_output=True, text=True, check=False, cwd=requirements.parent)
    if completed.returncode == 0:
        return
    lines = [
        line
        for line in (completed.stdout + completed.stderr).splitlines()
        # This machine's pip configuration names index folders that may not exist; pip notes each one.
        if line.strip() and not line.startswith("WARNING: Location ")
    ]
    conflicts = _layer_conflicts(lines, layer_versions or {})
    if conflicts:
        raise PackageError(
            f"{display(requirements)} conflicts with the layer: {'; '.join(conflicts)} (the function imports the "
            "layer's copy: ask for the layer's version or leave the package to the layer)"
        )
    # What pip reports from its first error on (its progress lines before it say nothing of the failure).
    first_error = next((index for index, line in enumerate(lines) if line.startswith("ERROR")), 0)
    raise PackageError(
        f"pip could not install {display(requirements)} for Python {PYTHON_VERSION} on "
        f"manylinux {arch} (binary wheels only):\n" + "\n".join(lines[first_error:])
    )


# How pip explains a resolution that failed ("The conflict is caused by:"), one line per requirement.
_PIP_REQUESTED = re.compile(r"\s*The user requested (?!\(constraint\))(?P<requirement>\S.*)")
_PIP_DEPENDS = re.compile(r"\s*(?P<parent>\S+ \S+) depends on (?P<requirement>\S.*)")


def _layer_conflicts(pip_output: list[str], layer_versions: dict[str, str]) -> list[str]:
    """Each requirement in pip's explanation of a conflict that names a distribution of the layer."""
    conflicts: dict[str, None] = {}
    for line in pip_output:
        match = _PIP_REQUESTED.fullmatch(line) or _PIP_DEPENDS.fullmatch(line)
        if match is None:
            continue
        requirement = match["requirement"].strip()
        name = _normalise(re.split(r"[^A-Za-z0-9._-]", requirement, maxsplit=1)[0])
        if name in layer_versions:
            who = f"{match['parent']} depends on" if "parent" in match.groupdict() else "it asks for"
            conflicts[f"{who} {requirement}, but the layer holds {name} {layer_versions[name]}"] = None
    return list(conflicts)


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

# What the layer serves (`module:attribute`), read from the same variable the layer reads on Lambda.
APP_VARIABLE = "LAMBDA_WSGI_APP"
DEFAULT_APP = "routes:routes"
# Beside routes.py: more of the function's folder to leave out, in .gitignore's syntax.
IGNORE_FILE = ".lambdaignore"
# Everything in the function's folder ships except these (.gitignore patterns, read before the ignore file's,
# which may re-include any of them with `!`), virtualenvs (any folder holding `pyvenv.cfg`) and bytecode that
# Lambda's Python cannot load (see `_foreign_bytecode`). By kind, as the README lists them.
FUNCTION_EXCLUSIONS: dict[str, tuple[str, ...]] = {
    "caches": (
        "__pycache__/",
        ".pytest_cache/",
        ".mypy_cache/",
        ".ruff_cache/",
        ".hypothesis/",
        ".tox/",
        ".nox/",
        ".pytype/",
        ".ipynb_checkpoints/",
    ),
    "virtualenvs": (".venv/", "venv/"),
    "version control": (".git", ".hg/", ".svn/", ".gitignore", ".gitattributes"),
    "tests and their reports": ("tests/", "conftest.py", ".coverage", ".coverage.*", "htmlcov/"),
    "build outputs": ("/build/", "/dist/", "*.egg-info/"),
    "local secrets": (".env", ".env.*", ".envrc"),
    "editor and OS files": (".DS_Store", "Thumbs.db", "*.swp", "*.swo", "*~", ".idea/", ".vscode/"),
    "the build's own inputs": ("/requirements*.txt", f"/{IGNORE_FILE}"),
}
# The first bytes of a pyc of Python 3.13 (importlib.util.MAGIC_NUMBER there), the only bytecode Lambda loads.
PYC_MAGIC = (3571).to_bytes(2, "little") + b"\r\n"


def build_function(
    out: Path,
    function_dir: Path = FUNCTION_DIR,
    arch: str = "arm64",
    layer: Path | None = None,
    *,
    bytecode: bool = True,
    app: str = DEFAULT_APP,
) -> Built:
    """Every file of `function_dir` but those no one deploys (see `function_files`), and the packages its
    `requirements.txt` lists, installed for Lambda's Python and `arch` to run beside `layer` (the layer's zip,
    needed only then: see `_dependencies`). `app` (`module:attribute`) must be defined at the top level of a
    module that ships (see `check_app`). With `bytecode`, every module also ships compiled (see `_compile`)."""
    files = function_files(function_dir, app, output=out.parent)
    requirements = function_dir / FUNCTION_REQUIREMENTS
    with tempfile.TemporaryDirectory(prefix="function-") as work:
        dependencies = _function_dependencies(requirements, arch, layer, files, Path(work))
        entries = files | dependencies
        if bytecode:
            # The function's own modules must compile (better told now than at a cold start); its
            # dependencies may ship files named *.py that nothing imports (see `_compile`).
            entries |= _compile(_modules(files), Path(work) / "bytecode", TASK_ROOT)
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
    found on /opt/python at run time, instead of a second copy that would shadow it from /var/task. A
    requirement that no version of the layer's can satisfy stops the build, naming both versions.
    """
    distributions, layer_names = _layer_contents(layer)
    target = work / "target"
    _pip_install(requirements, target, arch, layer_versions=distributions)
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
        for module in _imported_modules(_parse(path), name):
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


def _foreign_bytecode(path: Path) -> bool:
    """A `.pyc` (outside `__pycache__`, a module shipped without its source) of another Python, or a `.pyo`."""
    if path.suffix == ".pyo":
        return True
    with path.open("rb") as file:
        return file.read(len(PYC_MAGIC)) != PYC_MAGIC


@dataclass(frozen=True)
class IgnoreRule:
    """One line of .gitignore's syntax, as git reads it."""

    pattern: re.Pattern[str]
    negated: bool  # `!pattern`: re-included
    folders_only: bool  # `pattern/`
    anchored: bool  # a `/` at the start or in the middle: matched against the path from the folder, else the name
    source: str  # where it was written, for messages

    @classmethod
    def parse(cls, line: str, source: str) -> IgnoreRule | None:
        """The rule of a line; None for blank lines and comments."""
        text = line.rstrip("\r\n")
        while text.endswith(" ") and not text.endswith("\\ "):  # trailing spaces count only when escaped
            text = text[:-1]
        if not text or text.startswith("#"):
            return None
        negated = text.startswith("!")
        text = text.removeprefix("!")
        folders_only = text.endswith("/")
        text = text.rstrip("/")
        if not text:
            return None
        anchored = "/" in text
        return cls(re.compile(_glob_regex(text.removeprefix("/"))), negated, folders_only, anchored, source)

    def matches(self, name: str, folder: bool) -> bool:
        if self.folders_only and not folder:
            return False
        return self.pattern.fullmatch(name if self.anchored else name.rpartition("/")[2]) is not None


def _glob_regex(pattern: str) -> str:
    """A regular expression for a .gitignore pattern: `*` and `?` within a name, `[...]` classes, `**` across
    folders (`**/x`, `x/**`, `a/**/b`), `\\` escaping the next character."""
    out: list[str] = []
    index, end = 0, len(pattern)
    while index < end:
        char = pattern[index]
        if char == "*":
            stars = index
            while index < end and pattern[index] == "*":
                index += 1
            whole_name = (stars == 0 or pattern[stars - 1] == "/") and (index == end or pattern[index] == "/")
            if index - stars == 2 and whole_name:
                if index == end:
                    out.append(".*")  # `x/**`: everything inside x
                else:
                    out.append("(?:.*/)?")  # `**/`: any number of folders, none included
                    index += 1
            else:
                out.append("[^/]*")
            continue
        if char == "?":
            out.append("[^/]")
        elif char == "[" and (close := _class_end(pattern, index)) is not None:
            members = pattern[index + 1 : close]
            negated = members[:1] in ("!", "^")
            members = "".join(c if c == "-" else re.escape(c) for c in (members[1:] if negated else members))
            out.append(f"[{'^' if negated else ''}{members}]")
            index = close
        elif char == "\\" and index + 1 < end:
            index += 1
            out.append(re.escape(pattern[index]))
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _class_end(pattern: str, start: int) -> int | None:
    """The index of the `]` closing the class opened at `start` (a `]` right after `[` or `[!` is a member)."""
    index = start + 1
    if index < len(pattern) and pattern[index] in "!^":
        index += 1
    if index < len(pattern) and pattern[index] == "]":
        index += 1
    close = pattern.find("]", index)
    return close if close != -1 else None


@dataclass(frozen=True)
class Exclusions:
    """What stays out of a function's zip: the default rules, then its ignore file's; the last match decides."""

    rules: tuple[IgnoreRule, ...]
    output: Path | None = None  # the build's own output folder, resolved

    @classmethod
    def of(cls, function_dir: Path, output: Path | None = None) -> Exclusions:
        rules = [
            IgnoreRule.parse(pattern, f"the default exclusion {pattern}")
            for patterns in FUNCTION_EXCLUSIONS.values()
            for pattern in patterns
        ]
        ignore_file = function_dir / IGNORE_FILE
        if ignore_file.is_file():
            lines = ignore_file.read_text(encoding="utf-8").splitlines()
            shown = display(ignore_file)
            rules += [
                IgnoreRule.parse(line, f"line {number} of {shown} ({line.strip()})")
                for number, line in enumerate(lines, 1)
            ]
        return cls(tuple(rule for rule in rules if rule is not None), output.resolve() if output else None)

    def reason(self, name: str, path: Path) -> str | None:
        """Why the file or folder `name` (at `path`) stays out, or None if it ships (its folders aside)."""
        folder = path.is_dir()
        if folder and (path / "pyvenv.cfg").is_file():
            return "a virtualenv (it holds pyvenv.cfg)"
        if folder and self.output is not None and path.resolve() == self.output:
            return "the folder the zips go to"
        if not folder and path.suffix in (".pyc", ".pyo") and _foreign_bytecode(path):
            return f"bytecode of another Python than Lambda's {PYTHON_VERSION}"
        decided = None
        for rule in self.rules:
            if rule.matches(name, folder):
                decided = rule
        return None if decided is None or decided.negated else decided.source

    def reason_for_path(self, function_dir: Path, name: str) -> str | None:
        """Why `name` stays out, its own rule or its closest folder's."""
        parts = name.split("/")
        for depth in range(1, len(parts) + 1):
            partial = "/".join(parts[:depth])
            why = self.reason(partial, function_dir / partial)
            if why is not None:
                return why
        return None


def check_app(function_dir: Path, files: dict[str, Path], app: str, exclusions: Exclusions) -> None:
    """Stop the build unless the module `app` names ships and binds its attribute at the top level.

    A static check, as the layer would find it at a cold start: an assignment (annotated too), a def or class,
    an import, anywhere but inside a function or class. `from x import *` or a module `__getattr__` may bind
    any name, so they pass.
    """
    module, colon, attribute = app.partition(":")
    if not colon or not all(part.isidentifier() for part in module.split(".")) or not attribute.isidentifier():
        raise PackageError(
            f"the app {app!r} (--app, {APP_VARIABLE}) is not of the form module:attribute, such as {DEFAULT_APP}"
        )
    base = module.replace(".", "/")
    candidates = (f"{base}/__init__.py", f"{base}.py")  # a package first, as Python's import looks
    name = next((candidate for candidate in candidates if candidate in files), None)
    if name is None:
        for candidate in candidates:
            why = exclusions.reason_for_path(function_dir, candidate)
            if why is not None and (function_dir / candidate).is_file():
                shown = display(function_dir / candidate)
                raise PackageError(f"{shown} is left out by {why}, but it holds the app {app}")
        shown = display(function_dir / candidates[1])
        if app == DEFAULT_APP:
            raise PackageError(
                f"{shown} is missing: the function's code is a Flask Blueprint named `routes` in routes.py "
                "(to serve another app: --app module:attribute)"
            )
        raise PackageError(f"{shown} is missing: the app {app} (--app, {APP_VARIABLE}) is `{attribute}` in it")
    names, open_ended = _top_level_names(_parse(files[name]))
    if attribute not in names and not open_ended:
        raise PackageError(
            f"{display(files[name])} does not define `{attribute}` at its top level, but the app {app} is that "
            f"name: assign it there (such as `{attribute} = Blueprint(...)`) or name yours with --app module:attribute"
        )


# Code inside these runs in a scope of its own: what it assigns is not the module's.
_NEW_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def _top_level_names(tree: ast.Module) -> tuple[set[str], bool]:
    """The names a module binds at its top level, and whether it may bind others (`import *`, `__getattr__`)."""
    names = {name for node in ast.walk(tree) if isinstance(node, ast.Global) for name in node.names}
    open_ended = False
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            open_ended |= node.name == "__getattr__" and not isinstance(node, ast.ClassDef)
        elif isinstance(node, ast.Import):
            names.update(alias.asname or alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            open_ended |= any(alias.name == "*" for alias in node.names)
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
        if isinstance(node, _NEW_SCOPES) or (isinstance(node, ast.AnnAssign) and node.value is None):
            continue  # `name: T` alone declares a type and binds nothing
        pending.extend(ast.iter_child_nodes(node))
    return names, open_ended


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


def argument_parser() -> argparse.ArgumentParser:
    """The options; every path is read from the directory the command was typed in."""
    parser = argparse.ArgumentParser(prog="./build.sh package", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--arch", choices=sorted(ARCHITECTURES), default="arm64", help="the function's architecture (default arm64)"
    )
    parser.add_argument(
        "--out-dir",
        type=_path,
        default=DIST_DIR,
        metavar="DIR",
        help="where the zips go (default: the repository's dist/)",
    )
    parser.add_argument(
        "--function-dir",
        type=_path,
        default=FUNCTION_DIR,
        metavar="DIR",
        help="the function's folder, all of which ships but what it leaves out (default: the repository's api/)",
    )
    parser.add_argument(
        "--app",
        default=os.environ.get(APP_VARIABLE) or DEFAULT_APP,
        metavar="MODULE:ATTRIBUTE",
        help=f"what the layer serves, checked to be defined at the top level of that module (default: "
        f"${APP_VARIABLE}, else {DEFAULT_APP}); deploy the function with the same {APP_VARIABLE}",
    )
    parser.add_argument(
        "--requirements",
        type=_path,
        default=LAYER_REQUIREMENTS,
        metavar="FILE",
        help="what the layer installs (default: the repository's requirements/layer.txt)",
    )
    parser.add_argument(
        "--bytecode",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="ship every module compiled beside its source (the default): cold starts about 3x faster; "
        "--no-bytecode ships sources only, zips about 2.5x smaller",
    )
    return parser


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    return argument_parser().parse_args(None if argv is None else list(argv))


def _path(text: str) -> Path:
    """A path given on the command line, from the directory it was typed in (symbolic links kept)."""
    return Path(text).absolute()


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if f"{sys.version_info.major}.{sys.version_info.minor}" != PYTHON_VERSION:
            raise PackageError(
                f"packaging needs Python {PYTHON_VERSION} (the Lambda runtime's version), but runs on "
                f"{sys.version.split()[0]} ({sys.executable}); use ./build.sh package"
            )
        # A function that can't be built fails before the layer's slower build.
        function_files(args.function_dir, args.app, output=args.out_dir)
        layer = build_layer(
            args.out_dir / "layer.zip", args.arch, requirements=args.requirements, bytecode=args.bytecode
        )
        function = build_function(
            args.out_dir / "function.zip",
            args.function_dir,
            args.arch,
            layer.path,
            bytecode=args.bytecode,
            app=args.app,
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
