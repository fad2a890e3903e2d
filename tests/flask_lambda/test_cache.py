"""The cache: where it lives, which Python builds for Lambda, and virtualenvs made once from hashed pins."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flask_lambda import cache


def test_the_cache_folder_is_the_users(tmp_path: Path) -> None:
    home = Path.home()
    assert cache.cache_dir({}) == home / ".cache" / "flask-lambda"
    assert cache.cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "flask-lambda"
    chosen = {"FLASK_LAMBDA_CACHE": str(tmp_path / "mine"), "XDG_CACHE_HOME": "/elsewhere"}
    assert cache.cache_dir(chosen) == tmp_path / "mine"


def test_the_lambda_python_is_this_one_when_it_is_3_13() -> None:
    assert sys.version_info[:2] == (3, 13), "the tests run on the Lambda runtime's Python"
    assert cache.lambda_python({}) == Path(sys.executable)
    assert cache.lambda_python({"PYTHON": sys.executable}) == Path(sys.executable)


def test_a_python_that_is_not_3_13_is_refused_by_name(tmp_path: Path) -> None:
    fake = tmp_path / "python3.12"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(cache.CacheError, match=r"PYTHON=.*python3\.12 is not a Python 3\.13 interpreter"):
        cache.lambda_python({"PYTHON": str(fake)})


@pytest.mark.slow
def test_a_pinned_venv_is_made_once_and_again_when_its_pins_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_LAMBDA_CACHE", str(tmp_path / "cache"))
    requirements = tmp_path / "tools.txt"
    requirements.write_text("# nothing pinned yet\n")
    said: list[str] = []
    python = cache.pinned_venv("tools", requirements, Path(sys.executable), said.append)
    assert python == tmp_path / "cache" / "venvs" / "tools" / "bin" / "python"
    assert python.is_file()
    assert len(said) == 1
    assert "Setting up tools from tools.txt" in said[0]
    marker = python.parent.parent / "made-here"
    marker.touch()
    assert cache.pinned_venv("tools", requirements, Path(sys.executable), said.append) == python
    assert (len(said), marker.exists()) == (1, True), "reused as it was"
    requirements.write_text("# pins changed\n")
    cache.pinned_venv("tools", requirements, Path(sys.executable), said.append)
    assert (len(said), marker.exists()) == (2, False), "made again"


@pytest.mark.slow
def test_a_file_whose_hash_does_not_match_its_pin_is_not_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_LAMBDA_CACHE", str(tmp_path / "cache"))
    requirements = tmp_path / "tampered.txt"
    requirements.write_text("six==1.17.0 --hash=sha256:" + "0" * 64 + "\n")
    with pytest.raises(cache.CacheError, match="pip could not install") as raised:
        cache.pinned_venv("tampered", requirements, Path(sys.executable), lambda _: None)
    assert "HASH" in str(raised.value).upper()
    stamp = tmp_path / "cache" / "venvs" / "tampered" / ".installed"
    assert not stamp.exists(), "a failed install is made again next time"
