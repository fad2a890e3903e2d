"""`serve --watch`: a change to the function's files is served after a rebuild; a change that breaks it is not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flask_lambda import package
from flask_lambda.serve.cli import parse_args
from flask_lambda.serve.watch import changes, file_stamps, watched_sources
from tests.flask_lambda.conftest import ECHO_DIR, Zips, serving


def test_the_file_stamps_see_added_changed_and_removed_files_but_not_caches(tmp_path: Path) -> None:
    function = tmp_path / "fn"
    (function / "__pycache__").mkdir(parents=True)
    (function / "routes.py").write_text("a = 1\n")
    (function / "old.txt").write_text("old")
    before = file_stamps([function])
    (function / "__pycache__" / "routes.cpython-313.pyc").write_bytes(b"cache")
    (function / "routes.py").write_text("a = 22\n")
    (function / "old.txt").unlink()
    (function / "templates").mkdir()
    (function / "templates" / "page.html").write_text("<p>")
    assert changes(before, file_stamps([function]), [function]) == [
        "fn/old.txt",
        "fn/routes.py",
        "fn/templates/page.html",
    ]


def test_the_layer_is_watched_unless_a_layer_zip_is_given(tmp_path: Path) -> None:
    function = parse_args(["--function-dir", str(tmp_path), "--watch"]).function
    assert watched_sources(function) == [tmp_path, package.LAYER_DIR, package.LAYER_REQUIREMENTS]
    function = parse_args(["--function-dir", str(tmp_path), "--watch", "--layer-zip", "layer.zip"]).function
    assert watched_sources(function) == [tmp_path]


def test_watch_cannot_rebuild_a_given_function_zip(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(["--watch", "--function-zip", "function.zip"])
    assert exited.value.code == 2
    assert "cannot be used with --function-zip" in capsys.readouterr().err


@pytest.mark.slow
def test_an_edit_is_served_after_a_reload_and_a_broken_one_is_not(zips: Zips, tmp_path: Path) -> None:
    function = tmp_path / "my-function"
    shutil.copytree(ECHO_DIR, function)
    with serving("--function-dir", str(function), "--layer-zip", str(zips.layer), "--watch") as serve:
        assert serve.request("GET", "/event").json()["greeting"] == (ECHO_DIR / "greeting.txt").read_text().strip()

        (function / "greeting.txt").write_text("Hello again\n")
        reloaded = serve.wait_for_line(serve.stdout, lambda line: line.startswith("Reloaded in"), 60)
        assert reloaded is not None, serve.output()
        assert "Changed: my-function/greeting.txt; rebuilding ..." in serve.stdout
        assert serve.request("GET", "/event").json()["greeting"] == "Hello again"

        (function / "routes.py").write_text((function / "routes.py").read_text() + "\ndef broken(:\n")
        failed = serve.wait_for_line(serve.stderr, lambda line: "the rebuild failed" in line, 60)
        assert failed is not None, serve.output()
        assert "routes.py" in failed
        reply = serve.request("GET", "/event")
        assert (reply.status, reply.json()["greeting"]) == (200, "Hello again")
