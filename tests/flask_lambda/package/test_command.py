"""`./build.sh package` (`python -m flask_lambda.package`): its options, what it prints, and its loud failures."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flask_lambda import package
from tests.conftest import ROOT
from tests.flask_lambda.package.helpers import run_package, write_tree, zip_names

pytestmark = pytest.mark.slow


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
        assert int(match[2]) == len(zip_names(out / name))
        assert match[3] == kind


def test_bytecode_is_on_unless_turned_off() -> None:
    assert package.parse_args([]).bytecode is True
    assert package.parse_args(["--bytecode"]).bytecode is True
    assert package.parse_args(["--no-bytecode"]).bytecode is False


def test_the_app_comes_from_the_option_else_the_variable_else_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(package.APP_VARIABLE, raising=False)
    assert package.parse_args([]).app == "routes:routes"
    monkeypatch.setenv(package.APP_VARIABLE, "app:app")
    assert package.parse_args([]).app == "app:app"
    assert package.parse_args(["--app", "web:application"]).app == "web:application"
    monkeypatch.setenv(package.APP_VARIABLE, "")  # as the layer reads it: empty is the default
    assert package.parse_args([]).app == "routes:routes"


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
    function_dir = write_tree(tmp_path / "function", {"routes.py": "from flask import Blueprint\nroutes: Blueprint\n"})
    completed = run_package("--out-dir", str(tmp_path / "dist"), "--function-dir", str(function_dir))
    assert completed.returncode == 1
    assert completed.stderr.splitlines() == [
        f"flask-lambda package: error: {function_dir / 'routes.py'} does not define `routes` at its top level, "
        "but the app routes:routes is that name: assign it there (such as `routes = Blueprint(...)`) or name yours "
        "with --app module:attribute"
    ]
    assert not (tmp_path / "dist").exists()


def test_the_package_page_documents_every_option_and_exclusion() -> None:
    section = (ROOT / "docs" / "package.md").read_text()
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


def test_a_missing_routes_py_fails_loudly(tmp_path: Path) -> None:
    empty = tmp_path / "function"
    empty.mkdir()
    completed = run_package("--out-dir", str(tmp_path / "dist"), "--function-dir", str(empty))
    assert completed.returncode == 1
    assert "package: error:" in completed.stderr
    assert "routes.py is missing" in completed.stderr
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def test_help_needs_nothing_but_the_standard_library() -> None:
    """`./build.sh package --help` runs on a Python without the dev venv: pathspec is imported only to build."""
    environment = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{package.LAYER_DIR}"}
    completed = subprocess.run(
        [sys.executable, "-S", "-m", "flask_lambda.package", "--help"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("usage: flask-lambda package")
