"""Zip writing: the same inputs give the same bytes, whoever builds them.

Entries are sorted, with fixed timestamps and modes.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from flask_lambda import package
from flask_lambda.package.layer import LAYER_ROOT_FILES
from flask_lambda.package.zips import write_zip
from tests.flask_lambda.conftest import ECHO_DIR, SITE_DIR
from tests.flask_lambda.package.helpers import sample_function_dir

pytestmark = pytest.mark.slow


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
    function = package.build_function(tmp_path / "function.zip", sample_function_dir(), "arm64", layer.path)
    assert layer.path.read_bytes() == (out / "layer.zip").read_bytes()
    assert function.path.read_bytes() == (out / "function.zip").read_bytes()


def test_entries_are_sorted_with_fixed_timestamps_and_modes(builds: list[tuple[Path, str]]) -> None:
    out, _ = builds[0]
    for name in ("layer.zip", "function.zip"):
        with zipfile.ZipFile(out / name) as archive:
            infos = archive.infolist()
        assert [info.filename for info in infos] == sorted(info.filename for info in infos)
        assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
        modes = {info.filename: info.external_attr >> 16 for info in infos}
        assert set(modes.values()) <= {0o100644, 0o100755}  # 0755 only where pip left a file executable
        # The layer's one executable of its own: the runtime loop's start script, which Lambda runs.
        programs = {filename for filename in modes if filename.endswith(".so") or filename == "flask-lambda-runtime"}
        assert {mode for filename, mode in modes.items() if filename not in programs} == {0o100644}
        assert not any(info.is_dir() for info in infos)


@pytest.mark.parametrize("function_dir", [ECHO_DIR, SITE_DIR], ids=["echo_function", "site_function"])
def test_a_function_built_twice_gives_the_same_bytes(host_layer: Path, tmp_path: Path, function_dir: Path) -> None:
    arch = package.host_architecture()
    first, second = (
        package.build_function(tmp_path / out / "function.zip", function_dir, arch, host_layer)
        for out in ("first", "second")
    )
    assert first.path.read_bytes() == second.path.read_bytes()


def test_a_program_is_executable_in_the_zip_whatever_its_files_mode(tmp_path: Path) -> None:
    """An installation (a wheel, a checkout on another filesystem) may lose the start script's mode bits."""
    script = tmp_path / "flask-lambda-runtime"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o644)
    built = write_zip(
        tmp_path / "layer.zip", {"flask-lambda-runtime": script, "python/m.py": script}, programs=LAYER_ROOT_FILES
    )
    with zipfile.ZipFile(built.path) as archive:
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert modes == {"flask-lambda-runtime": 0o100755, "python/m.py": 0o100644}
