"""Bytecode: every module of both zips ships compiled, unchecked-hash pycs naming where Lambda puts the files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from flask_lambda import package
from tests.flask_lambda.conftest import ECHO_DIR
from tests.flask_lambda.package.helpers import assert_every_module_is_compiled, bare_python, extract_zip

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("name", "root"), [("layer.zip", "/opt"), ("function.zip", "/var/task")])
def test_every_module_of_both_zips_ships_compiled(builds: list[tuple[Path, str]], name: str, root: str) -> None:
    assert_every_module_is_compiled(builds[0][0] / name, root)


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
    opt = extract_zip(host_layer, tmp_path / "opt") / "python"
    task = extract_zip(package.build_function(tmp_path / "function.zip", ECHO_DIR).path, tmp_path / "task")
    for broken in (opt / "werkzeug" / "__init__.py", task / "routes.py", task / "helpers.py"):
        broken.write_text(broken.read_text() + "\nraise SystemExit('the source was compiled instead of the pyc')\n")
    done = bare_python("-c", "import werkzeug, flask, routes; print(routes.GREETING)", path=(task, opt))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (ECHO_DIR / "greeting.txt").read_text().strip()


def test_a_module_of_the_function_that_does_not_compile_stops_the_build(tmp_path: Path) -> None:
    """`return` outside a function parses, so only compiling tells; better at build time than at a cold start."""
    (tmp_path / "routes.py").write_text("import helpers\n\nroutes = None\n")
    (tmp_path / "helpers.py").write_text("return 1\n")
    with pytest.raises(package.PackageError, match=r"helpers\.py does not compile: 'return' outside function"):
        package.build_function(tmp_path / "function.zip", tmp_path)
