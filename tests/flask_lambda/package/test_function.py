"""The function: every file of its folder but what it leaves out, and its requirements installed against the layer."""

from __future__ import annotations

import importlib.util
import subprocess
import zipfile
from modulefinder import ModuleFinder
from pathlib import Path

import pytest

from flask_lambda import package
from tests.conftest import API_DIR
from tests.flask_lambda.conftest import ECHO_DIR, SITE_DIR, serving
from tests.flask_lambda.package.helpers import (
    assert_every_module_is_compiled,
    bare_python,
    extract_zip,
    function_with_requirements,
    make_wheel,
    shipped_files,
    write_tree,
    zip_names,
)

pytestmark = pytest.mark.slow


def test_the_function_holds_every_file_of_its_folder(tmp_path: Path) -> None:
    built = package.build_function(tmp_path / "function.zip", ECHO_DIR, bytecode=False)
    assert zip_names(built.path) == ["greeting.txt", "helpers.py", "routes.py"]
    compiled = package.build_function(tmp_path / "compiled.zip", ECHO_DIR)
    assert zip_names(compiled.path) == [
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
    sources = {name for name in tracked if name and name != "pyproject.toml"}  # the project's settings stay home
    names = set(zip_names(builds[0][0] / "function.zip"))
    assert names == sources | {importlib.util.cache_from_source(name) for name in sources if name.endswith(".py")}
    finder = ModuleFinder(path=[str(API_DIR)])
    finder.run_script(str(API_DIR / "routes.py"))
    files = [getattr(module, "__file__", None) for name, module in finder.modules.items() if name != "__main__"]
    imported = {Path(file).resolve().relative_to(API_DIR).as_posix() for file in files if file}
    assert {"routes.py", "openapi.json"} | imported <= names


def test_symbolic_links_are_followed_but_not_round_in_circles(tmp_path: Path) -> None:
    shared = write_tree(tmp_path / "shared", {"logo.svg": "<svg/>"})
    (shared / "routes.py").unlink()
    function_dir = write_tree(tmp_path / "function", {})
    (function_dir / "static").symlink_to(shared, target_is_directory=True)
    (function_dir / "logo.svg").symlink_to(shared / "logo.svg")
    (shared / "loop").symlink_to(function_dir, target_is_directory=True)  # back to a folder being walked
    assert shipped_files(function_dir) == {"routes.py", "logo.svg", "static/logo.svg"}


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
    assert {name for name in zip_names(built.path) if not name.endswith(".pyc")} == shipped
    assert_every_module_is_compiled(built.path, "/var/task")
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
    function_dir = write_tree(tmp_path, {"page.html": "<p>"})
    for _ in range(2):
        built = package.build_function(function_dir / "out" / "function.zip", function_dir, bytecode=False)
    assert zip_names(built.path) == ["page.html", "routes.py"]


def test_importing_the_function_folder_by_its_name_is_refused(tmp_path: Path) -> None:
    """On Lambda the folder's modules sit at the root: `from api.table import x` would fail there."""
    function_dir = tmp_path / "api"
    function_dir.mkdir()
    (function_dir / "routes.py").write_text("from api.table import NAME\nroutes = None\n")
    (function_dir / "table.py").write_text("NAME = 'users'\n")
    with pytest.raises(package.PackageError, match="import table instead"):
        package.function_files(function_dir)


def test_the_functions_requirements_are_installed_for_lambda_beside_its_code(
    builds: list[tuple[Path, str]], tmp_path: Path
) -> None:
    function_dir = function_with_requirements(
        tmp_path, "import simplejson\nfrom flask_cors import CORS\n", "simplejson==3.20.1\nflask-cors==6.0.5\n"
    )
    layer = builds[0][0] / "layer.zip"  # arm64
    built = package.build_function(tmp_path / "function.zip", function_dir, "arm64", layer)
    names = zip_names(built.path)
    assert "routes.py" in names
    assert "simplejson/_speedups.cpython-313-aarch64-linux-gnu.so" in names  # built for Lambda's arm64
    expected = {"flask_cors/__init__.py", "simplejson/tests/__init__.py", "simplejson-3.20.1.dist-info/METADATA"}
    assert expected <= set(names)
    # flask-cors needs Flask and Werkzeug: the layer has them, so the function does not ship a second copy.
    assert not [name for name in names if name.lower().startswith(("flask/", "flask-", "werkzeug"))]
    assert not [name for name in names if name.startswith("bin/") or name.endswith("/RECORD")]
    assert "requirements.txt" not in names
    # The packages' modules are compiled like the function's own, every one of them.
    assert_every_module_is_compiled(built.path, "/var/task")


def test_a_dependency_keeps_every_file_it_may_run_and_its_executable_bits(
    builds: list[tuple[Path, str]], tmp_path: Path
) -> None:
    wheel = make_wheel(
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
    function_dir = function_with_requirements(tmp_path, "import toolbox\n", f"./wheels/{wheel.name}\n")
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
        installed = str(make_wheel(tmp_path, "mainpkg", {"main.py": ("handler = None\n", 0o644)}))
    function_dir = function_with_requirements(tmp_path, "import simplejson\n", installed + "\n")
    if own_module:
        (function_dir / own_module).write_text("")
    with pytest.raises(package.PackageError, match=message):
        package.build_function(tmp_path / "function.zip", function_dir, "arm64", builds[0][0] / "layer.zip")


def test_requirements_without_the_layer_fail_loudly(tmp_path: Path) -> None:
    function_dir = function_with_requirements(tmp_path, "", "pybase64==1.5.1\n")
    with pytest.raises(package.PackageError, match="needs the layer's zip"):
        package.build_function(tmp_path / "function.zip", function_dir, "arm64")


def test_a_function_asking_for_pybase64_encodes_with_the_layers_copy(host_layer: Path, tmp_path: Path) -> None:
    """As on Lambda: the function's zip at /var/task, the layer's under /opt/python, both on sys.path."""
    arch = package.host_architecture()
    function_dir = function_with_requirements(tmp_path, "import pybase64\n", "pybase64==1.5.1\n")
    function = package.build_function(tmp_path / "function.zip", function_dir, arch, host_layer)
    assert not [name for name in zip_names(function.path) if name.startswith("pybase64")]
    task = extract_zip(function.path, tmp_path / "task")
    opt = extract_zip(host_layer, tmp_path / "opt") / "python"
    script = (
        "import sys\n"
        "from lambda_wsgi import base64_codec, response\n"
        "png = response.HttpResponse(200, 'OK', [('Content-Type', 'image/png')], bytes(range(256)))\n"
        "text, is_base64 = response.response_body(png)\n"
        "import pybase64, pybase64._pybase64  # the native codec, not only the fallback\n"
        "assert is_base64 and base64_codec.codec().encode is pybase64.b64encode_as_string\n"
        "assert pybase64.__file__.startswith(sys.argv[1]), pybase64.__file__\n"
    )
    completed = bare_python("-c", script, str(opt), path=(task, opt))
    assert completed.returncode == 0, completed.stderr
