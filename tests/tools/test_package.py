"""`./build.sh package`: reproducible zips holding exactly what runs on Lambda, and loud failures.

The arm64 build (the default target) runs twice through the command line; the contents are checked
against independent oracles: the source tree, the installed distributions, `modulefinder`.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import subprocess
import sys
import zipfile
from modulefinder import ModuleFinder
from pathlib import Path

import pytest

from tests.tools.conftest import API_DIR, ECHO_DIR
from tools import package

pytestmark = pytest.mark.slow
ROOT = package.ROOT


def _package(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "package.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _function_dir() -> Path:
    return API_DIR if (API_DIR / "routes.py").is_file() else ECHO_DIR


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str]]:
    """Two independent default builds: (output folder, what the command printed)."""
    results = []
    for name in ("first", "second"):
        out = tmp_path_factory.mktemp(name)
        completed = _package("--out-dir", str(out), "--function-dir", str(_function_dir()))
        assert completed.returncode == 0, completed.stderr
        results.append((out, completed.stdout))
    return results


def _names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def test_building_twice_gives_byte_identical_zips(builds: list[tuple[Path, str]]) -> None:
    (first, _), (second, _) = builds
    for name in ("layer.zip", "function.zip"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_the_build_prints_each_zips_size(builds: list[tuple[Path, str]]) -> None:
    out, printed = builds[0]
    for name in ("layer.zip", "function.zip"):
        match = re.search(rf"{name}: [\d.]+ MB \((\d+) bytes, (\d+) files\)", printed)
        assert match is not None, printed
        assert int(match[1]) == (out / name).stat().st_size
        assert int(match[2]) == len(_names(out / name))


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
    inside = [name.removeprefix("python/") for name in names]

    layer_dir = ROOT / "python-lambda-layer"
    own_sources = {
        path.relative_to(layer_dir).as_posix() for path in layer_dir.rglob("*.py") if "__pycache__" not in path.parts
    }
    assert {name for name in inside if name == "main.py" or name.startswith("lambda_wsgi/")} == own_sources

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
    assert not [name for name in inside if name.endswith((".pyc", ".pyi", ".c", ".h", "py.typed"))]
    assert not [name for name in inside if name.startswith("bin/") or "__pycache__" in name]
    assert not [name for name in inside if name.endswith(("/RECORD", "/INSTALLER", "/WHEEL", "/REQUESTED"))]
    # The interactive debugger never runs on Lambda; the rest of werkzeug is there.
    assert not [name for name in inside if name.startswith("werkzeug/debug/")]
    assert "werkzeug/serving.py" in inside
    # Native code for Lambda's arm64, none for this machine.
    assert "markupsafe/_speedups.cpython-313-aarch64-linux-gnu.so" in inside
    assert not [name for name in inside if name.endswith(".so") and "aarch64" not in name]


def test_the_function_holds_routes_and_what_it_imports(tmp_path: Path) -> None:
    built = package.build_function(tmp_path / "function.zip", ECHO_DIR)
    # not_imported.py and notes.md are in the folder, but nothing imports or names them.
    assert _names(built.path) == ["greeting.txt", "helpers.py", "routes.py"]


@pytest.mark.skipif(not (API_DIR / "routes.py").is_file(), reason="api/routes.py does not exist yet")
def test_the_api_function_zip_holds_what_routes_py_imports_and_reads(builds: list[tuple[Path, str]]) -> None:
    finder = ModuleFinder(path=[str(API_DIR)])
    finder.run_script(str(API_DIR / "routes.py"))
    files = [getattr(module, "__file__", None) for name, module in finder.modules.items() if name != "__main__"]
    imported = {Path(file).resolve().relative_to(API_DIR).as_posix() for file in files if file}
    data = {"openapi.json"} if (API_DIR / "openapi.json").is_file() else set()
    assert set(_names(builds[0][0] / "function.zip")) == {"routes.py"} | imported | data


def test_packages_and_relative_imports_are_followed(tmp_path: Path) -> None:
    (tmp_path / "shop" / "tests").mkdir(parents=True)
    (tmp_path / "routes.py").write_text("from shop import cart\nfrom shop.prices import tax\n")
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "cart.py").write_text("from . import prices\nFILE = 'catalogue.json'\n")
    (tmp_path / "shop" / "prices.py").write_text("tax = 0.2\n")
    (tmp_path / "shop" / "unused.py").write_text("")
    (tmp_path / "shop" / "catalogue.json").write_text("{}")
    (tmp_path / "shop" / "tests" / "test_cart.py").write_text("from shop import cart\n")
    files = package.function_files(tmp_path)
    assert sorted(files) == ["routes.py", "shop/__init__.py", "shop/cart.py", "shop/catalogue.json", "shop/prices.py"]


def test_importing_the_function_folder_by_its_name_is_refused(tmp_path: Path) -> None:
    """On Lambda the folder's modules sit at the root: `from api.table import x` would fail there."""
    function_dir = tmp_path / "api"
    function_dir.mkdir()
    (function_dir / "routes.py").write_text("from api.table import NAME\n")
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


def test_an_unchanged_layer_is_reused_when_asked(builds: list[tuple[Path, str]]) -> None:
    layer = builds[0][0] / "layer.zip"
    before = (layer.stat().st_mtime_ns, layer.read_bytes())
    package.build_layer(layer, "arm64", reuse=True)
    assert (layer.stat().st_mtime_ns, layer.read_bytes()) == before


def test_bytecode_builds_are_reproducible_and_are_what_python_loads(tmp_path: Path) -> None:
    """--bytecode ships an unchecked-hash pyc beside every module, and the interpreter runs it, not the source."""
    arch = package.host_architecture()
    first = package.build_layer(tmp_path / "first.zip", arch, bytecode=True)
    second = package.build_layer(tmp_path / "second.zip", arch, bytecode=True)
    assert first.path.read_bytes() == second.path.read_bytes()

    names = _names(first.path)
    modules = [name for name in names if name.endswith(".py")]
    compiled = {name for name in names if name.endswith(".pyc")}
    assert compiled == {importlib.util.cache_from_source(name) for name in modules}
    with zipfile.ZipFile(first.path) as archive:
        header = archive.read("python/flask/__pycache__/app.cpython-313.pyc")[:16]
        archive.extractall(tmp_path / "opt")
    assert int.from_bytes(header[4:8], "little") == 0b01  # hash-based, source not checked (PEP 552)

    # Break a source file: with its pyc unchecked, the module still imports from bytecode.
    broken = tmp_path / "opt" / "python" / "werkzeug" / "__init__.py"
    broken.write_text(broken.read_text() + "\nraise SystemExit('the source was compiled instead of the pyc')\n")
    script = "import sys; sys.path.insert(0, sys.argv[1]); import werkzeug, flask"
    done = subprocess.run(
        [sys.executable, "-I", "-B", "-c", script, str(tmp_path / "opt" / "python")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _function_with_requirements(tmp_path: Path, routes: str, requirements: str) -> Path:
    function_dir = tmp_path / "function"
    function_dir.mkdir()
    (function_dir / "routes.py").write_text(routes)
    (function_dir / "requirements.txt").write_text(requirements)
    return function_dir


def _wheel(folder: Path, name: str, files: dict[str, tuple[str, int]]) -> Path:
    """A pure-Python wheel `name` 1.0 holding `files` (path -> (text, mode)), as a build backend writes it."""
    dist_info = f"{name}-1.0.dist-info"
    contents = {
        **files,
        f"{dist_info}/METADATA": (f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", 0o644),
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
        tmp_path, "import pybase64\nfrom flask_cors import CORS\n", "pybase64==1.5.1\nflask-cors==6.0.5\n"
    )
    layer = builds[0][0] / "layer.zip"  # arm64
    names = _names(package.build_function(tmp_path / "function.zip", function_dir, "arm64", layer).path)
    assert "routes.py" in names
    assert "pybase64/_pybase64.cpython-313-aarch64-linux-gnu.so" in names  # built for Lambda's arm64
    assert {"flask_cors/__init__.py", "pybase64-1.5.1.dist-info/METADATA"} <= set(names)
    # flask-cors needs Flask and Werkzeug: the layer has them, so the function does not ship a second copy.
    assert not [name for name in names if name.lower().startswith(("flask/", "flask-", "werkzeug"))]
    assert not [name for name in names if name.startswith("bin/") or name.endswith((".pyc", "/RECORD"))]
    assert "requirements.txt" not in names


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
        },
    )
    function_dir = _function_with_requirements(tmp_path, "import toolbox\n", f"{wheel}\n")
    built = package.build_function(tmp_path / "function.zip", function_dir, "arm64", builds[0][0] / "layer.zip")
    with zipfile.ZipFile(built.path) as archive:
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert modes["toolbox/helper"] == 0o100755
    assert modes["toolbox/__init__.py"] == modes["routes.py"] == 0o100644
    assert {"toolbox/test/__init__.py", "toolbox/__init__.pyi"} <= set(modes)


@pytest.mark.parametrize(
    ("own_module", "installed", "message"),
    [
        ("pybase64.py", "pybase64==1.5.1", "would shadow the function's own pybase64"),
        (None, "WHEEL", "would shadow the layer's main"),
    ],
)
def test_a_dependency_that_would_shadow_a_module_is_refused(
    builds: list[tuple[Path, str]], tmp_path: Path, own_module: str | None, installed: str, message: str
) -> None:
    if installed == "WHEEL":
        installed = str(_wheel(tmp_path, "mainpkg", {"main.py": ("handler = None\n", 0o644)}))
    function_dir = _function_with_requirements(tmp_path, "import pybase64\n", installed + "\n")
    if own_module:
        (function_dir / own_module).write_text("")
    with pytest.raises(package.PackageError, match=message):
        package.build_function(tmp_path / "function.zip", function_dir, "arm64", builds[0][0] / "layer.zip")


def test_requirements_without_the_layer_fail_loudly(tmp_path: Path) -> None:
    function_dir = _function_with_requirements(tmp_path, "", "pybase64==1.5.1\n")
    with pytest.raises(package.PackageError, match="needs the layer's zip"):
        package.build_function(tmp_path / "function.zip", function_dir, "arm64")


def test_the_layer_uses_pybase64_that_the_function_ships(tmp_path: Path) -> None:
    """As on Lambda: the function's zip at /var/task, the layer's under /opt/python, both on sys.path."""
    arch = package.host_architecture()
    function_dir = _function_with_requirements(tmp_path, "import pybase64\n", "pybase64==1.5.1\n")
    task, opt = tmp_path / "task", tmp_path / "opt"
    layer = package.build_layer(tmp_path / "layer.zip", arch).path
    with zipfile.ZipFile(package.build_function(tmp_path / "function.zip", function_dir, arch, layer).path) as archive:
        archive.extractall(task)
    with zipfile.ZipFile(layer) as archive:
        archive.extractall(opt)
    script = (
        f"import sys; sys.path[0:0] = [{str(task)!r}, {str(opt / 'python')!r}]\n"
        "from lambda_wsgi import encoding\n"
        "text, is_base64 = encoding.response_body([('Content-Type', 'image/png')], bytes(range(256)))\n"
        "import pybase64\n"
        "assert is_base64 and encoding._base64()[0] is pybase64.b64encode_as_string\n"
        "assert pybase64.__file__.startswith(sys.path[0]), pybase64.__file__\n"
    )
    completed = subprocess.run([sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
