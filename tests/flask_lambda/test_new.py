"""`flask-lambda new`: the project it writes, the module it copies or names, and the folders it refuses."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from flask_lambda.new import MODULE_DIR, NewError, create, main
from flask_lambda.project import Project
from flask_lambda.resources import TERRAFORM_MODULE


def test_the_project_is_complete_and_its_settings_read_back(tmp_path: Path) -> None:
    created = create(tmp_path / "Shop API")
    folder = created.folder
    assert created.name == "shop-api"
    assert (folder / ".gitignore").is_file()
    assert (folder / ".lambdaignore").read_text().splitlines()[-1] == "/modules/"
    settings = tomllib.loads((folder / "pyproject.toml").read_text())
    assert settings["project"]["name"] == "shop-api"
    project = Project.load(folder)
    assert (project.app, project.routes) == ("routes:routes", ("$default",))
    main_tf = (folder / "main.tf").read_text()
    assert 'source = "./modules/flask-function"' in main_tf
    assert 'name         = "shop-api"' in main_tf
    assert 'routes       = ["$default"]' in main_tf
    assert "${path.module}/dist/function.zip" in main_tf
    copied = {path.relative_to(folder / MODULE_DIR) for path in (folder / MODULE_DIR).rglob("*.tf")}
    assert copied == {path.relative_to(TERRAFORM_MODULE) for path in TERRAFORM_MODULE.rglob("*.tf")}
    assert (folder / MODULE_DIR / "VERSION").read_text().startswith("flask-lambda ")
    assert not list(folder.rglob("*.tmpl"))


def test_a_module_source_is_named_instead_of_copied(tmp_path: Path) -> None:
    source = "git::https://example.com/flask-lambda.git//infra/modules/flask-function?ref=v0.1.0"
    folder = create(tmp_path / "site", module_source=source).folder
    assert f'source = "{source}"' in (folder / "main.tf").read_text()
    assert not (folder / "modules").exists()


def test_an_empty_folder_is_used_and_a_full_one_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert create(empty).name == "empty"
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("mine")
    with pytest.raises(NewError, match="exists and is not empty"):
        create(full)
    assert [path.name for path in full.iterdir()] == ["notes.txt"], "nothing written into it"
    with pytest.raises(SystemExit) as exited:
        main([str(full)])
    assert exited.value.code == 2
    assert "flask-lambda new: " in capsys.readouterr().err


def test_a_name_aws_would_refuse_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NewError, match="lowercase letters, digits and hyphens"):
        create(tmp_path / "site", name="My Site")
    assert not (tmp_path / "site").exists()
