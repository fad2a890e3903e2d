"""`./build.sh package`: reproducible zips holding exactly what runs on Lambda, compiled, and loud failures.

The arm64 build (the default target) runs twice through the command line, under different hash seeds and from
different directories; the contents are checked against independent oracles: the source tree, git's list of
the sample's files, the installed distributions, `modulefinder`, the interpreter's own pyc format and import
system, and a site served from its zip as Lambda runs it.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import marshal
import os
import re
import shutil
import subprocess
import sys
import types
import zipfile
from modulefinder import ModuleFinder
from pathlib import Path

import pytest

from tests.tools.conftest import API_DIR, ECHO_DIR, SITE_DIR, serving
from tools import package

pytestmark = pytest.mark.slow
ROOT = package.ROOT


def _package(*args: str, hash_seed: str = "random", cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != package.APP_VARIABLE}
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "package.py"), *args],
        cwd=cwd,
        env={**environment, "PYTHONHASHSEED": hash_seed},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _function_dir() -> Path:
    return API_DIR if (API_DIR / "routes.py").is_file() else ECHO_DIR


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str]]:
    """Two independent default builds: (output folder, what the command printed).

    Each runs under its own hash seed: set and dict orders must not reach the bytecode. The second runs from
    another directory, every path given relative to it, as a user types them: the same zips must come out.
    """
    first = tmp_path_factory.mktemp("first")
    completed = _package("--out-dir", str(first), "--function-dir", str(_function_dir()), hash_seed="1")
    assert completed.returncode == 0, completed.stderr
    results = [(first, completed.stdout)]
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    relative = [
        *("--out-dir", "second"),
        *("--function-dir", os.path.relpath(_function_dir(), elsewhere)),
        *("--requirements", os.path.relpath(package.LAYER_REQUIREMENTS, elsewhere)),
    ]
    completed = _package(*relative, hash_seed="2", cwd=elsewhere)
    assert completed.returncode == 0, completed.stderr
    results.append((elsewhere / "second", completed.stdout))
    return results


@pytest.fixture(scope="module")
def sources_only(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A `--no-bytecode` build: (output folder, what the command printed)."""
    out = tmp_path_factory.mktemp("sources-only")
    completed = _package("--out-dir", str(out), "--function-dir", str(_function_dir()), "--no-bytecode")
    assert completed.returncode == 0, completed.stderr
    return out, completed.stdout


@pytest.fixture(scope="module")
def host_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default layer for this machine's architecture, so its native code loads here."""
    return package.build_layer(tmp_path_factory.mktemp("host") / "layer.zip", package.host_architecture()).path


def _names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def _extract(path: Path, target: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(target)
    return target


def _python(*args: str, path: tuple[Path, ...] = ()) -> subprocess.CompletedProcess[str]:
    """This interpreter without its site-packages (-S), writing no bytecode, finding only `path` (as Lambda's
    /var/task and /opt/python) besides the standard library."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(map(str, path))}
    return subprocess.run(
        [sys.executable, "-S", "-s", "-B", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
        cwd=path[0] if path else None,  # -c puts the working directory first: nothing of this repository
    )


def _file_names(code: types.CodeType) -> set[str]:
    """The file names a module's code objects carry (tracebacks and inspect show these)."""
    names = {code.co_filename}
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _file_names(constant)
    return names


def _assert_every_module_is_compiled(path: Path, root: str) -> None:
    """A pyc beside every module of the zip: of this Python, unchecked-hash, of that very source, naming
    the file where Lambda puts it (under `root`)."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        modules = [name for name in names if name.endswith(".py")]
        assert modules
        assert {name for name in names if name.endswith(".pyc")} == {
            importlib.util.cache_from_source(name) for name in modules
        }
        for module in modules:
            pyc = archive.read(importlib.util.cache_from_source(module))
            assert pyc[:4] == importlib.util.MAGIC_NUMBER, module
            assert int.from_bytes(pyc[4:8], "little") == 0b01, module  # hash-based, source not checked (PEP 552)
            assert pyc[8:16] == importlib.util.source_hash(archive.read(module)), module
            assert _file_names(marshal.loads(pyc[16:])) == {f"{root}/{module}"}


def test_building_twice_gives_byte_identical_zips(builds: list[tuple[Path, str]]) -> None:
    (first, _), (second, _) = builds
    for name in ("layer.zip", "function.zip"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_the_zips_do_not_depend_on_the_process_that_builds_them(builds: list[tuple[Path, str]], tmp_path: Path) -> None:
    """A pyc's bytes depend on what the compiling process has imported (the strings it interned): serve and the
    tests build their zips in processes of their own, which have imported far more than the command."""
    import lambda_wsgi  # noqa: F401  (its modules interned strings that werkzeug's modules hold too)

    (out, _) = builds[0]
    layer = package.build_layer(tmp_path / "layer.zip", "arm64")
    function = package.build_function(tmp_path / "function.zip", _function_dir(), "arm64", layer.path)
    assert layer.path.read_bytes() == (out / "layer.zip").read_bytes()
    assert function.path.read_bytes() == (out / "function.zip").read_bytes()


@pytest.mark.parametrize("which", ["default", "--no-bytecode"])
def test_the_build_prints_each_zips_size_and_whether_it_holds_bytecode(
    builds: list[tuple[Path, str]], sources_only: tuple[Path, str], which: str
) -> None:
    out, printed = builds[0] if which == "default" else sources_only
    compiled = "bytecode" if which == "default" else "sources only"
    for name, kind in (
        ("layer.zip", f"layer, Python 3.13 arm64, {compiled}"),
        ("function.zip", f"function, {compiled}"),
    ):
        match = re.search(rf"{name}: [\d.]+ MB \((\d+) bytes, (\d+) files\)  \[(.+)\]", printed)
        assert match is not None, printed
        assert int(match[1]) == (out / name).stat().st_size
        assert int(match[2]) == len(_names(out / name))
        assert match[3] == kind


def test_bytecode_is_on_unless_turned_off() -> None:
    assert package.parse_args([]).bytecode is True
    assert package.parse_args(["--bytecode"]).bytecode is True
    assert package.parse_args(["--no-bytecode"]).bytecode is False


def test_entries_are_sorted_with_fixed_timestamps_and_modes(builds: list[tuple[Path, str]]) -> None:
    out, _ = builds[0]
    for name in ("layer.zip", "function.zip"):
        with zipfile.ZipFile(out / name) as archive:
            infos = archive.infolist()
        assert [info.filename for info in infos] == sorted(info.filename for info in infos)
        assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
        modes = {info.filename: info.external_attr >> 16 for info in infos}
        assert set(modes.values()) <= {0o100644, 0o100755}  # 0755 only where pip left a file executable
        assert {mode for filename, mode in modes.items() if not filename.endswith(".so")} == {0o100644}
        assert not any(info.is_dir() for info in infos)


def test_the_layer_holds_the_adapter_and_the_pinned_packages_only(builds: list[tuple[Path, str]]) -> None:
    names = _names(builds[0][0] / "layer.zip")
    assert all(name.startswith("python/") for name in names)
    # The bytecode beside each module: see test_every_module_of_both_zips_ships_compiled.
    inside = [name.removeprefix("python/") for name in names if not name.endswith(".pyc")]

    layer_dir = ROOT / "python-lambda-layer"
    own_sources = {
        path.relative_to(layer_dir).as_posix() for path in layer_dir.rglob("*.py") if "__pycache__" not in path.parts
    }
    assert {name for name in inside if name == "main.py" or name.startswith("lambda_wsgi/")} == own_sources
    # The SnapStart hooks module and the runtime interface client are Lambda's runtime's, never the layer's.
    assert not [name for name in inside if name.startswith(("snapshot_restore_py", "awslambdaric"))]

    pins = dict(
        line.split("==")
        for line in (ROOT / "requirements" / "layer.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    pinned = {name.lower() for name in pins}
    import_names = {
        top
        for top, distributions in importlib.metadata.packages_distributions().items()
        if any(distribution.lower() in pinned for distribution in distributions)
    }
    dist_infos = {f"{name.lower().replace('-', '_')}-{version}.dist-info" for name, version in pins.items()}
    assert {name.split("/")[0] for name in inside} == {"main.py", "lambda_wsgi"} | import_names | dist_infos

    for name in inside:
        top, _, rest = name.partition("/")
        if top.endswith(".dist-info"):
            assert rest in ("METADATA", "entry_points.txt") or "LICEN" in rest.upper(), name
    assert {name.split("/")[0] for name in inside if name.endswith("/METADATA")} == dist_infos
    assert not [name for name in inside if name.endswith((".pyi", ".c", ".h", "py.typed"))]
    assert not [name for name in inside if name.startswith("bin/") or "__pycache__" in name]
    assert not [name for name in inside if name.endswith(("/RECORD", "/INSTALLER", "/WHEEL", "/REQUESTED"))]
    # What never runs on Lambda: the debugger and the reloader of `flask run --debug`, werkzeug's demo page,
    # click's Windows console, `python -m` entry points. The rest of each package is there, fallbacks included.
    assert not [name for name in inside if name.startswith("werkzeug/debug/") or name.endswith("/__main__.py")]
    left_out = {"werkzeug/_reloader.py", "werkzeug/testapp.py", "click/_winconsole.py", "pybase64/_fallback.py"}
    assert not left_out & set(inside)
    kept = {"werkzeug/serving.py", "click/_termui_impl.py", "markupsafe/_native.py"}
    assert kept <= set(inside)
    # Native code for Lambda's arm64, none for this machine.
    assert "markupsafe/_speedups.cpython-313-aarch64-linux-gnu.so" in inside
    assert "pybase64/_pybase64.cpython-313-aarch64-linux-gnu.so" in inside  # the layer's SIMD base64
    assert not [name for name in inside if name.endswith(".so") and "aarch64" not in name]


def test_the_function_holds_every_file_of_its_folder(tmp_path: Path) -> None:
    built = package.build_function(tmp_path / "function.zip", ECHO_DIR, bytecode=False)
    assert _names(built.path) == ["greeting.txt", "helpers.py", "routes.py"]
    compiled = package.build_function(tmp_path / "compiled.zip", ECHO_DIR)
    assert _names(compiled.path) == [
        "__pycache__/helpers.cpython-313.pyc",
        "__pycache__/routes.cpython-313.pyc",
        "greeting.txt",
        "helpers.py",
        "routes.py",
    ]


@pytest.mark.skipif(not (API_DIR / "routes.py").is_file(), reason="api/routes.py does not exist yet")
def test_the_api_function_zip_holds_the_samples_files_and_what_routes_py_imports(
    builds: list[tuple[Path, str]],
) -> None:
    """The sample ships what git holds of api/: its modules and the OpenAPI document it serves, nothing else."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--", "."], cwd=API_DIR, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    sources = {name for name in tracked if name}
    names = set(_names(builds[0][0] / "function.zip"))
    assert names == sources | {importlib.util.cache_from_source(name) for name in sources if name.endswith(".py")}
    finder = ModuleFinder(path=[str(API_DIR)])
    finder.run_script(str(API_DIR / "routes.py"))
    files = [getattr(module, "__file__", None) for name, module in finder.modules.items() if name != "__main__"]
    imported = {Path(file).resolve().relative_to(API_DIR).as_posix() for file in files if file}
    assert {"routes.py", "openapi.json"} | imported <= names


def _tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """`files` (posix name -> text or bytes) written under `root`, beside a routes.py unless one is given."""
    for name, content in {"routes.py": "routes = None\n", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def _shipped(function_dir: Path, app: str = package.DEFAULT_APP) -> set[str]:
    return set(package.function_files(function_dir, app))


def _pyc(magic: bytes) -> bytes:
    """A pyc header of the Python with that magic number, then the code of an empty module."""
    return magic + (0).to_bytes(4, "little") + bytes(8) + marshal.dumps(compile("", "x.py", "exec"))


# One file each default exclusion leaves out (by the pattern that matches it), and files like them that ship.
EXCLUDED = {
    "__pycache__/": "__pycache__/routes.cpython-313.pyc",
    ".pytest_cache/": ".pytest_cache/v/cache/nodeids",
    ".mypy_cache/": ".mypy_cache/3.13/routes.data.json",
    ".ruff_cache/": ".ruff_cache/CACHEDIR.TAG",
    ".hypothesis/": ".hypothesis/examples/0a/1b",
    ".tox/": ".tox/py313/log.txt",
    ".nox/": ".nox/tests/log.txt",
    ".pytype/": ".pytype/pyi/routes.pyi",
    ".ipynb_checkpoints/": "notebooks/.ipynb_checkpoints/explore-checkpoint.ipynb",
    ".venv/": ".venv/lib/python3.13/site-packages/flask/__init__.py",
    "venv/": "venv/bin/python",
    ".git": ".git/HEAD",
    ".hg/": ".hg/store/data",
    ".svn/": ".svn/entries",
    ".gitignore": ".gitignore",
    ".gitattributes": ".gitattributes",
    "tests/": "shop/tests/test_cart.py",
    "conftest.py": "conftest.py",
    ".coverage": ".coverage",
    ".coverage.*": ".coverage.host.1234",
    "htmlcov/": "htmlcov/index.html",
    "/build/": "build/lib/routes.py",
    "/dist/": "dist/site-1.0.tar.gz",
    "*.egg-info/": "site.egg-info/PKG-INFO",
    ".env": "config/.env",
    ".env.*": ".env.production",
    ".envrc": ".envrc",
    ".DS_Store": "static/.DS_Store",
    "Thumbs.db": "static/Thumbs.db",
    "*.swp": ".routes.py.swp",
    "*.swo": ".routes.py.swo",
    "*~": "routes.py~",
    ".idea/": ".idea/workspace.xml",
    ".vscode/": ".vscode/settings.json",
    "/requirements*.txt": "requirements-dev.txt",
    "/.lambdaignore": ".lambdaignore",
}
KEPT = [
    "static/dist/app.js",  # only a dist/ or build/ at the function's root is a build output
    "docs/build/index.html",
    "static/.well-known/security.txt",  # hidden files ship unless listed
    "data/.defaults.json",
    "templates/tests.html",  # tests/ is a folder: a file of that name ships
    "shop/requirements.txt",  # the build input is the requirements.txt beside routes.py
    "environment.py",
    "git_helpers.py",
]


def test_every_default_exclusion_is_tested() -> None:
    listed = [pattern for patterns in package.FUNCTION_EXCLUSIONS.values() for pattern in patterns]
    assert sorted(listed) == sorted(EXCLUDED)


@pytest.mark.parametrize(("pattern", "name"), EXCLUDED.items(), ids=list(EXCLUDED))
def test_a_default_exclusion_leaves_its_files_out_and_says_so(tmp_path: Path, pattern: str, name: str) -> None:
    function_dir = _tree(tmp_path, {name: "", **dict.fromkeys(KEPT, "")})
    assert _shipped(function_dir) == {"routes.py", *KEPT}
    exclusions = package.Exclusions.of(function_dir)
    assert exclusions.reason_for_path(function_dir, name) == f"the default exclusion {pattern}"


def test_virtualenvs_and_bytecode_lambda_cannot_load_stay_out(tmp_path: Path) -> None:
    """A virtualenv is any folder holding pyvenv.cfg; a pyc outside __pycache__ ships only if 3.13 loads it."""
    assert importlib.util.MAGIC_NUMBER == package.PYC_MAGIC  # this is Python 3.13, as Lambda's
    older = (3495).to_bytes(2, "little") + b"\r\n"  # Python 3.12's
    function_dir = _tree(
        tmp_path,
        {
            "env/pyvenv.cfg": "home = /usr/bin\n",
            "env/lib/python3.13/site-packages/flask/__init__.py": "",
            "legacy.pyc": _pyc(older),
            "old.pyo": _pyc(package.PYC_MAGIC),
            "sourceless.pyc": _pyc(package.PYC_MAGIC),
        },
    )
    assert _shipped(function_dir) == {"routes.py", "sourceless.pyc"}
    exclusions = package.Exclusions.of(function_dir)
    assert exclusions.reason_for_path(function_dir, "env/lib") == "a virtualenv (it holds pyvenv.cfg)"
    assert exclusions.reason_for_path(function_dir, "legacy.pyc") == "bytecode of another Python than Lambda's 3.13"


def test_the_ignore_file_reads_gitignore_syntax(tmp_path: Path) -> None:
    ignore = """\
# comments and blank lines are skipped

*.md
!README.md
/local.cfg
drafts/
!drafts/keep.html
secret?.txt
img[0-9].png
**/fixtures/**
docs/**/*.tmp
!.env.example
!tests/
\\#notes.txt
trailing.txt   \n"""
    left_out = [
        "notes.md",
        "templates/notes.md",
        "local.cfg",
        "drafts/page.html",
        "drafts/keep.html",  # as in git: nothing inside a folder left out comes back
        "templates/drafts/old.html",
        "secret1.txt",
        "img3.png",
        "fixtures/users.json",
        "shop/fixtures/deep/cart.json",
        "docs/a.tmp",
        "docs/a/b/c.tmp",
        "#notes.txt",
        "trailing.txt",
        ".env",
    ]
    kept = [
        "README.md",
        "templates/README.md",
        "shop/local.cfg",  # a leading / anchors to the folder
        "static/drafts",  # a trailing / matches folders only: this is a file
        "secret12.txt",
        "imgA.png",
        "docs/a.txt",
        ".env.example",  # negation re-includes what a default left out
        "tests/fixture.txt",
        "# comments and blank lines are skipped",
    ]
    function_dir = _tree(tmp_path, {".lambdaignore": ignore, **dict.fromkeys(left_out + kept, "")})
    assert _shipped(function_dir) == {"routes.py", *kept}
    exclusions = package.Exclusions.of(function_dir)
    assert exclusions.reason_for_path(function_dir, "drafts/keep.html") == (
        f"line 6 of {package.display(function_dir / '.lambdaignore')} (drafts/)"
    )


def test_symbolic_links_are_followed_but_not_round_in_circles(tmp_path: Path) -> None:
    shared = _tree(tmp_path / "shared", {"logo.svg": "<svg/>"})
    (shared / "routes.py").unlink()
    function_dir = _tree(tmp_path / "function", {})
    (function_dir / "static").symlink_to(shared, target_is_directory=True)
    (function_dir / "logo.svg").symlink_to(shared / "logo.svg")
    (shared / "loop").symlink_to(function_dir, target_is_directory=True)  # back to a folder being walked
    assert _shipped(function_dir) == {"routes.py", "logo.svg", "static/logo.svg"}


# (routes.py, whether it binds `routes` at its top level), as the layer would find it on Lambda.
APP_SOURCES = [
    ("from flask import Blueprint\nroutes = Blueprint('routes', __name__)\n", True),
    ("from flask import Blueprint\nroutes: Blueprint = Blueprint('routes', __name__)\n", True),
    ("from views import routes\n", True),
    ("from views import blueprint as routes\n", True),
    ("import views as routes\n", True),
    ("def routes(environ, start_response):\n    return []\n", True),
    ("class routes:\n    pass\n", True),
    ("try:\n    from fast import routes\nexcept ImportError:\n    from slow import routes\n", True),
    ("if True:\n    api, routes = 1, 2\n", True),
    ("with open('x') as routes:\n    pass\n", True),
    ("(routes := object())\n", True),
    ("def make():\n    global routes\n    routes = object()\nmake()\n", True),
    ("from views import *\n", True),  # may bind anything
    ("def __getattr__(name):\n    return object()\n", True),  # PEP 562: may bind anything
    ("", False),
    ("from flask import Blueprint\nroutes: Blueprint\n", False),  # a declaration binds nothing
    ("def make():\n    routes = object()\n    return routes\n", False),
    ("class App:\n    routes = object()\n", False),
    ("app = [routes for routes in range(3)]\n", False),
    ("handler = lambda routes: routes\n", False),
    ("import flask\nflask.routes = object()\n", False),  # another module's attribute
    ("del routes\n", False),
    ("blueprint = object()\nprint(routes)\n", False),
]


@pytest.mark.parametrize(("source", "binds"), APP_SOURCES)
def test_the_app_must_be_bound_at_the_top_level_of_its_module(tmp_path: Path, source: str, binds: bool) -> None:
    function_dir = _tree(tmp_path, {"routes.py": source})
    if binds:
        assert "routes.py" in _shipped(function_dir)
        return
    expected = (
        f"{package.display(function_dir / 'routes.py')} does not define `routes` at its top level, "
        "but the app routes:routes is that name"
    )
    with pytest.raises(package.PackageError, match=re.escape(expected)):
        _shipped(function_dir)


@pytest.mark.parametrize(
    ("files", "app"),
    [
        ({"app.py": "from flask import Flask\napplication = Flask(__name__)\n"}, "app:application"),
        ({"web/__init__.py": "app = object()\n"}, "web:app"),
        ({"web/server.py": "app = object()\n"}, "web.server:app"),  # a namespace package
        ({"web/__init__.py": "", "web/server.py": "def app(environ, start):\n    return []\n"}, "web.server:app"),
    ],
)
def test_another_app_is_checked_where_it_is_named(tmp_path: Path, files: dict[str, str], app: str) -> None:
    function_dir = _tree(tmp_path, {"routes.py": "# no app here\n", **files})
    assert set(files) <= _shipped(function_dir, app)
    with pytest.raises(package.PackageError, match="does not define `missing` at its top level"):
        _shipped(function_dir, app.partition(":")[0] + ":missing")


@pytest.mark.parametrize(
    ("files", "app", "message"),
    [
        ({}, "routes:routes", "routes.py is missing: the function's code is a Flask Blueprint named `routes`"),
        ({}, "web.app:app", "web/app.py is missing: the app web.app:app (--app, LAMBDA_WSGI_APP) is `app` in it"),
        ({"routes.py": "routes = 1\n", ".lambdaignore": "routes.py\n"}, "routes:routes", "routes.py is left out by "),
        ({"tests/app.py": "app = 1\n"}, "tests.app:app", "is left out by the default exclusion tests/, but it holds"),
        ({}, "routes", "the app 'routes' (--app, LAMBDA_WSGI_APP) is not of the form module:attribute"),
        ({}, "routes:routes.app", "is not of the form module:attribute"),
    ],
)
def test_an_app_that_would_not_load_stops_the_build_saying_where(
    tmp_path: Path, files: dict[str, str], app: str, message: str
) -> None:
    function_dir = tmp_path / "function"
    function_dir.mkdir()
    for name, text in files.items():
        (function_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (function_dir / name).write_text(text)
    with pytest.raises(package.PackageError, match=re.escape(message)):
        package.function_files(function_dir, app)


def test_the_app_comes_from_the_option_else_the_variable_else_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(package.APP_VARIABLE, raising=False)
    assert package.parse_args([]).app == "routes:routes"
    monkeypatch.setenv(package.APP_VARIABLE, "app:app")
    assert package.parse_args([]).app == "app:app"
    assert package.parse_args(["--app", "web:application"]).app == "web:application"
    monkeypatch.setenv(package.APP_VARIABLE, "")  # as the layer reads it: empty is the default
    assert package.parse_args([]).app == "routes:routes"


def test_the_layer_and_the_build_agree_on_the_app_setting() -> None:
    from lambda_wsgi import app_loader

    assert (package.APP_VARIABLE, package.DEFAULT_APP) == (app_loader.APP_VARIABLE, app_loader.DEFAULT_APP)


def test_paths_given_on_the_command_line_are_read_from_where_it_was_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = package.parse_args(["--out-dir", "out", "--function-dir", "../site", "--requirements", "layer.txt"])
    assert (args.out_dir, args.function_dir, args.requirements) == (
        tmp_path / "out",
        tmp_path / ".." / "site",
        tmp_path / "layer.txt",
    )


def test_an_app_that_is_not_defined_stops_the_command_before_the_layer_is_built(tmp_path: Path) -> None:
    function_dir = _tree(tmp_path / "function", {"routes.py": "from flask import Blueprint\nroutes: Blueprint\n"})
    completed = _package("--out-dir", str(tmp_path / "dist"), "--function-dir", str(function_dir))
    assert completed.returncode == 1
    assert completed.stderr.splitlines() == [
        f"package: error: {function_dir / 'routes.py'} does not define `routes` at its top level, but the app "
        "routes:routes is that name: assign it there (such as `routes = Blueprint(...)`) or name yours with "
        "--app module:attribute"
    ]
    assert not (tmp_path / "dist").exists()


def test_the_readme_documents_every_option_and_exclusion() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("\n## Package\n") :]
    section = section[: section.index("\n## ", 1)]
    options = set(re.findall(r"--[a-z][a-z-]+", package.argument_parser().format_help())) - {"--help"}
    assert options == {
        "--arch",
        "--out-dir",
        "--function-dir",
        "--app",
        "--requirements",
        "--bytecode",
        "--no-bytecode",
    }
    for option in options:
        assert f"`{option}" in section, option
    for pattern in (pattern for patterns in package.FUNCTION_EXCLUSIONS.values() for pattern in patterns):
        assert f"`{pattern}`" in section, pattern
    assert f"`{package.IGNORE_FILE}`" in section


def test_a_site_serves_its_templates_static_files_data_and_plugins_from_its_zip(
    host_layer: Path, tmp_path: Path
) -> None:
    """What no import names ships, and works where Lambda runs it: serve, from the zip, with /var/task as cwd."""
    built = package.build_function(tmp_path / "site.zip", SITE_DIR, package.host_architecture(), host_layer)
    sources = {
        path.relative_to(SITE_DIR).as_posix()
        for path in SITE_DIR.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    # __init__.py is the type checker's (the fixture's .lambdaignore leaves it out), .lambdaignore the build's.
    shipped = sources - {"__init__.py", ".lambdaignore"}
    assert {name for name in _names(built.path) if not name.endswith(".pyc")} == shipped
    _assert_every_module_is_compiled(built.path, "/var/task")
    with serving("--layer-zip", str(host_layer), "--function-zip", str(built.path), "--concurrency", "1") as serve:
        page = serve.request("GET", "/")
        assert page.status == 200, page.body
        text = page.body.decode()
        for part in ("<title>Packaged</title>", "The page's own content", "A footer included from partials/"):
            assert part in text
        assert 'href="/assets/style.css"' in text
        for name in ("style.css", "js/app.js", ".well-known/security.txt"):
            asset = serve.request("GET", f"/assets/{name}")
            assert (asset.status, asset.body) == (200, (SITE_DIR / "static" / name).read_bytes()), name
        prices = serve.request("GET", "/prices/eu")
        assert (prices.status, prices.json()) == (200, {"currency": "EUR", "tea": 2.5})
        plugin = serve.request("GET", "/plugins/greeter")
        assert (plugin.status, plugin.json()) == (200, {"greeting": "hello from a plugin"})


def test_zips_built_inside_the_function_folder_do_not_ship_in_the_next(tmp_path: Path) -> None:
    function_dir = _tree(tmp_path, {"page.html": "<p>"})
    for _ in range(2):
        built = package.build_function(function_dir / "out" / "function.zip", function_dir, bytecode=False)
    assert _names(built.path) == ["page.html", "routes.py"]


def test_importing_the_function_folder_by_its_name_is_refused(tmp_path: Path) -> None:
    """On Lambda the folder's modules sit at the root: `from api.table import x` would fail there."""
    function_dir = tmp_path / "api"
    function_dir.mkdir()
    (function_dir / "routes.py").write_text("from api.table import NAME\nroutes = None\n")
    (function_dir / "table.py").write_text("NAME = 'users'\n")
    with pytest.raises(package.PackageError, match="import table instead"):
        package.function_files(function_dir)


def test_a_missing_routes_py_fails_loudly(tmp_path: Path) -> None:
    empty = tmp_path / "function"
    empty.mkdir()
    completed = _package("--out-dir", str(tmp_path / "dist"), "--function-dir", str(empty))
    assert completed.returncode == 1
    assert "package: error:" in completed.stderr
    assert "routes.py is missing" in completed.stderr
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def test_pip_failing_fails_loudly_and_leaves_no_layer(tmp_path: Path) -> None:
    requirements = tmp_path / "layer.txt"
    requirements.write_text("flask==3.1.3\nthis is not a requirement !!\n")
    out = tmp_path / "dist"
    args = ["--out-dir", str(out), "--function-dir", str(ECHO_DIR), "--requirements", str(requirements)]
    completed = _package(*args)
    assert completed.returncode == 1
    assert "package: error: pip could not install" in completed.stderr
    assert "this is not a requirement" in completed.stderr
    assert not (out / "layer.zip").exists()
    assert not out.exists() or not [path for path in out.iterdir() if "partial" in path.name]


def test_an_unchanged_layer_is_reused_when_asked_bytecode_included(
    builds: list[tuple[Path, str]], tmp_path: Path
) -> None:
    layer = tmp_path / "layer.zip"
    shutil.copy2(builds[0][0] / "layer.zip", layer)
    before = (layer.stat().st_mtime_ns, layer.read_bytes())
    package.build_layer(layer, "arm64", reuse=True)
    assert (layer.stat().st_mtime_ns, layer.read_bytes()) == before
    # The same inputs without bytecode are another layer: built again, then reused in turn.
    package.build_layer(layer, "arm64", reuse=True, bytecode=False)
    assert not [name for name in _names(layer) if name.endswith(".pyc")]
    after = (layer.stat().st_mtime_ns, layer.read_bytes())
    package.build_layer(layer, "arm64", reuse=True, bytecode=False)
    assert (layer.stat().st_mtime_ns, layer.read_bytes()) == after


@pytest.mark.parametrize(("name", "root"), [("layer.zip", "/opt"), ("function.zip", "/var/task")])
def test_every_module_of_both_zips_ships_compiled(builds: list[tuple[Path, str]], name: str, root: str) -> None:
    _assert_every_module_is_compiled(builds[0][0] / name, root)


def test_no_bytecode_ships_the_same_files_without_their_pycs(
    builds: list[tuple[Path, str]], sources_only: tuple[Path, str]
) -> None:
    for name in ("layer.zip", "function.zip"):
        with zipfile.ZipFile(builds[0][0] / name) as compiled, zipfile.ZipFile(sources_only[0] / name) as plain:
            expected = {entry: compiled.read(entry) for entry in compiled.namelist() if not entry.endswith(".pyc")}
            assert {entry: plain.read(entry) for entry in plain.namelist()} == expected
        assert not [entry for entry in expected if "__pycache__" in entry]


def test_python_loads_the_pycs_not_the_sources(host_layer: Path, tmp_path: Path) -> None:
    """Break the sources: with their pycs unchecked, the layer and the function still import from bytecode."""
    opt = _extract(host_layer, tmp_path / "opt") / "python"
    task = _extract(package.build_function(tmp_path / "function.zip", ECHO_DIR).path, tmp_path / "task")
    for broken in (opt / "werkzeug" / "__init__.py", task / "routes.py", task / "helpers.py"):
        broken.write_text(broken.read_text() + "\nraise SystemExit('the source was compiled instead of the pyc')\n")
    done = _python("-c", "import werkzeug, flask, routes; print(routes.GREETING)", path=(task, opt))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (ECHO_DIR / "greeting.txt").read_text().strip()


def test_every_module_left_in_the_layer_imports(host_layer: Path, tmp_path: Path) -> None:
    """Nothing the layer keeps needs what it leaves out (the debugger, the reloader, `__main__`...)."""
    opt = _extract(host_layer, tmp_path / "opt") / "python"
    modules = sorted(
        ".".join(path.relative_to(opt).with_suffix("").parts).removesuffix(".__init__")
        for path in opt.rglob("*.py")
        if path.name != "main.py"  # the entry point: it loads the function's app
    )
    script = "import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]"
    done = _python("-c", script, *modules, path=(opt,))
    assert done.returncode == 0, done.stderr


def test_a_module_of_the_function_that_does_not_compile_stops_the_build(tmp_path: Path) -> None:
    """`return` outside a function parses, so only compiling tells; better at build time than at a cold start."""
    (tmp_path / "routes.py").write_text("import helpers\n\nroutes = None\n")
    (tmp_path / "helpers.py").write_text("return 1\n")
    with pytest.raises(package.PackageError, match=r"helpers\.py does not compile: 'return' outside function"):
        package.build_function(tmp_path / "function.zip", tmp_path)


def _function_with_requirements(tmp_path: Path, routes: str, requirements: str) -> Path:
    function_dir = tmp_path / "function"
    function_dir.mkdir()
    (function_dir / "routes.py").write_text(routes + "routes = None\n")
    (function_dir / "requirements.txt").write_text(requirements)
    return function_dir


def _wheel(folder: Path, name: str, files: dict[str, tuple[str, int]], requires: tuple[str, ...] = ()) -> Path:
    """A pure-Python wheel `name` 1.0 holding `files` (path -> (text, mode)) and needing `requires`, as a
    build backend writes it."""
    dist_info = f"{name}-1.0.dist-info"
    requires_dist = "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    contents = {
        **files,
        f"{dist_info}/METADATA": (f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n{requires_dist}", 0o644),
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
            0o644,
        ),
    }
    record = "".join(f"{path},,\n" for path in contents) + f"{dist_info}/RECORD,,\n"
    wheel = folder / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, (text, mode) in {**contents, f"{dist_info}/RECORD": (record, 0o644)}.items():
            info = zipfile.ZipInfo(path)
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, text)
    return wheel


def test_the_functions_requirements_are_installed_for_lambda_beside_its_code(
    builds: list[tuple[Path, str]], tmp_path: Path
) -> None:
    function_dir = _function_with_requirements(
        tmp_path, "import simplejson\nfrom flask_cors import CORS\n", "simplejson==3.20.1\nflask-cors==6.0.5\n"
    )
    layer = builds[0][0] / "layer.zip"  # arm64
    built = package.build_function(tmp_path / "function.zip", function_dir, "arm64", layer)
    names = _names(built.path)
    assert "routes.py" in names
    assert "simplejson/_speedups.cpython-313-aarch64-linux-gnu.so" in names  # built for Lambda's arm64
    expected = {"flask_cors/__init__.py", "simplejson/tests/__init__.py", "simplejson-3.20.1.dist-info/METADATA"}
    assert expected <= set(names)
    # flask-cors needs Flask and Werkzeug: the layer has them, so the function does not ship a second copy.
    assert not [name for name in names if name.lower().startswith(("flask/", "flask-", "werkzeug"))]
    assert not [name for name in names if name.startswith("bin/") or name.endswith("/RECORD")]
    assert "requirements.txt" not in names
    # The packages' modules are compiled like the function's own, every one of them.
    _assert_every_module_is_compiled(built.path, "/var/task")


def test_a_dependency_keeps_every_file_it_may_run_and_its_executable_bits(
    builds: list[tuple[Path, str]], tmp_path: Path
) -> None:
    wheel = _wheel(
        tmp_path,
        "toolbox",
        {
            "toolbox/__init__.py": ("", 0o644),
            "toolbox/helper": ("#!/bin/sh\necho hi\n", 0o755),
            "toolbox/test/__init__.py": ("", 0o644),
            "toolbox/__init__.pyi": ("", 0o644),
            "toolbox/template.py": ("{% for name in names %}\n", 0o644),  # a template, not Python
        },
    )
    # A path in requirements.txt is read from its folder, wherever the build runs (here, the repository).
    function_dir = _function_with_requirements(tmp_path, "import toolbox\n", f"./wheels/{wheel.name}\n")
    (function_dir / "wheels").mkdir()
    wheel.rename(function_dir / "wheels" / wheel.name)
    (function_dir / ".lambdaignore").write_text("/wheels/\n")
    built = package.build_function(tmp_path / "function.zip", function_dir, "arm64", builds[0][0] / "layer.zip")
    with zipfile.ZipFile(built.path) as archive:
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert modes["toolbox/helper"] == 0o100755
    assert modes["toolbox/__init__.py"] == modes["routes.py"] == 0o100644
    assert {"toolbox/test/__init__.py", "toolbox/__init__.pyi", "toolbox/template.py"} <= set(modes)
    # What compiles is compiled; a file named *.py that is no Python is shipped as it is, as pip does.
    assert "toolbox/test/__pycache__/__init__.cpython-313.pyc" in modes
    assert "toolbox/__pycache__/template.cpython-313.pyc" not in modes


@pytest.mark.parametrize(
    ("own_module", "installed", "message"),
    [
        ("simplejson.py", "simplejson==3.20.1", "would shadow the function's own simplejson"),
        (None, "WHEEL", "would shadow the layer's main"),
    ],
)
def test_a_dependency_that_would_shadow_a_module_is_refused(
    builds: list[tuple[Path, str]], tmp_path: Path, own_module: str | None, installed: str, message: str
) -> None:
    if installed == "WHEEL":
        installed = str(_wheel(tmp_path, "mainpkg", {"main.py": ("handler = None\n", 0o644)}))
    function_dir = _function_with_requirements(tmp_path, "import simplejson\n", installed + "\n")
    if own_module:
        (function_dir / own_module).write_text("")
    with pytest.raises(package.PackageError, match=message):
        package.build_function(tmp_path / "function.zip", function_dir, "arm64", builds[0][0] / "layer.zip")


def _layer_pins() -> dict[str, str]:
    lines = (ROOT / "requirements" / "layer.txt").read_text().splitlines()
    return dict(line.split("==") for line in lines if line.strip() and not line.startswith("#"))


@pytest.mark.parametrize("how", ["asked", "needed by a requirement"])
def test_a_requirement_the_layers_versions_cannot_meet_names_both_versions(
    builds: list[tuple[Path, str]], tmp_path: Path, how: str
) -> None:
    flask, blinker = _layer_pins()["flask"], _layer_pins()["blinker"]
    if how == "asked":
        requirements, conflict = "flask==2.0.0\n", f"it asks for flask==2.0.0, but the layer holds flask {flask}"
    else:
        wheel = _wheel(tmp_path, "toolbox", {"toolbox/__init__.py": ("", 0o644)}, requires=("blinker<1.9",))
        requirements = f"{wheel}\n"
        conflict = f"toolbox 1.0 depends on blinker<1.9, but the layer holds blinker {blinker}"
    function_dir = _function_with_requirements(tmp_path, "", requirements)
    with pytest.raises(package.PackageError) as raised:
        package.build_function(tmp_path / "function.zip", function_dir, "arm64", builds[0][0] / "layer.zip")
    assert str(raised.value) == (
        f"{package.display(function_dir / 'requirements.txt')} conflicts with the layer: {conflict} (the function "
        "imports the layer's copy: ask for the layer's version or leave the package to the layer)"
    )


def test_requirements_without_the_layer_fail_loudly(tmp_path: Path) -> None:
    function_dir = _function_with_requirements(tmp_path, "", "pybase64==1.5.1\n")
    with pytest.raises(package.PackageError, match="needs the layer's zip"):
        package.build_function(tmp_path / "function.zip", function_dir, "arm64")


def test_a_layer_whose_pybase64_cannot_load_encodes_with_the_standard_library(host_layer: Path, tmp_path: Path) -> None:
    """Its native code is the layer's only copy of pybase64's codec: without it, the standard library serves."""
    opt = _extract(host_layer, tmp_path / "opt") / "python"
    for native in (opt / "pybase64").glob("_pybase64*"):
        native.unlink()
    script = (
        "from lambda_wsgi import base64_codec, response\n"
        "text, is_base64 = response.response_body([('Content-Type', 'image/png')], bytes(range(256)))\n"
        "assert is_base64 and base64_codec.codec().encode is base64_codec.stdlib_encode\n"
        "import base64; assert base64.b64decode(text) == bytes(range(256))\n"
    )
    completed = _python("-c", script, path=(opt,))
    assert completed.returncode == 0, completed.stderr


def test_a_function_asking_for_pybase64_encodes_with_the_layers_copy(host_layer: Path, tmp_path: Path) -> None:
    """As on Lambda: the function's zip at /var/task, the layer's under /opt/python, both on sys.path."""
    arch = package.host_architecture()
    function_dir = _function_with_requirements(tmp_path, "import pybase64\n", "pybase64==1.5.1\n")
    function = package.build_function(tmp_path / "function.zip", function_dir, arch, host_layer)
    assert not [name for name in _names(function.path) if name.startswith("pybase64")]
    task = _extract(function.path, tmp_path / "task")
    opt = _extract(host_layer, tmp_path / "opt") / "python"
    script = (
        "import sys\n"
        "from lambda_wsgi import base64_codec, response\n"
        "text, is_base64 = response.response_body([('Content-Type', 'image/png')], bytes(range(256)))\n"
        "import pybase64, pybase64._pybase64  # the native codec, not only the fallback\n"
        "assert is_base64 and base64_codec.codec().encode is pybase64.b64encode_as_string\n"
        "assert pybase64.__file__.startswith(sys.argv[1]), pybase64.__file__\n"
    )
    completed = _python("-c", script, str(opt), path=(task, opt))
    assert completed.returncode == 0, completed.stderr
