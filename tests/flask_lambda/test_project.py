"""A project's `[tool.flask-lambda]` settings: read from its pyproject.toml, defaults without one, clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flask_lambda.project import Project, ProjectError, Table, is_route_key, resource_name
from tests.conftest import ROOT


def write(folder: Path, text: str) -> Path:
    (folder / "pyproject.toml").write_text(text, encoding="utf-8")
    return folder


def test_a_folder_without_settings_gets_the_defaults(tmp_path: Path) -> None:
    folder = tmp_path / "My Site"
    folder.mkdir()
    project = Project.load(folder)
    assert project == Project(folder, name="my-site")
    assert (project.app, project.routes, project.table, project.architecture) == (
        "routes:routes",
        ("$default",),
        None,
        None,
    )
    # A pyproject.toml for other tools only: the same defaults.
    assert Project.load(write(folder, '[project]\nname = "site"\n')) == Project(folder, name="my-site")


def test_every_setting_is_read(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
[tool.flask-lambda]
app = "web:application"
architecture = "x86_64"
routes = ["GET /", "POST /items/{id}", "ANY /files/{path+}"]
secrets = ["SIGNING_KEY"]
stream = true

[tool.flask-lambda.env]
GREETING = "hello"

[tool.flask-lambda.table]
name = "items"
definition = "schema:TABLE"
variable = "ITEMS_TABLE"
""",
    )
    project = Project.load(tmp_path)
    assert project.app == "web:application"
    assert project.architecture == "x86_64"
    assert project.routes == ("GET /", "POST /items/{id}", "ANY /files/{path+}")
    assert project.secrets == ("SIGNING_KEY",)
    assert project.stream is True
    assert Project.load(tmp_path.parent).stream is False  # off unless asked for
    assert project.environment == {"GREETING": "hello"}
    assert project.table == Table("items", "schema:TABLE", "ITEMS_TABLE")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('app = "routes"', "app must be module:attribute"),
        ('architecture = "amd64"', "architecture must be one of arm64, x86_64"),
        ("routes = []", "routes must be a non-empty list"),
        ('routes = ["GET users"]', "not an API Gateway route key"),
        ('routes = ["FETCH /"]', "not an API Gateway route key"),
        ('routes = ["GET /{path+}/more"]', "not an API Gateway route key"),
        ('routes = ["GET /", "GET /"]', "names a route twice"),
        ("env = { PORT = 8000 }", "env PORT must be a string"),
        ('env = { "1ST" = "x" }', "not an environment variable name"),
        ('secrets = "KEY"', "secrets must be a list of environment variable names"),
        ('table = { name = "t", definition = "m:a" }', "table.name must be a DynamoDB table name"),
        ('table = { name = "things", definition = "module" }', "table.definition must be module:attribute"),
        ('table = { name = "things", definition = "m:a", variable = "a b" }', "table.variable must be"),
        ('table = { name = "things", definition = "m:a", ttl = 1 }', "table.ttl is not a setting"),
        ('handler = "main.handler"', "handler is not a setting"),
        ('stream = "yes"', "stream must be true or false"),
    ],
)
def test_a_bad_setting_names_the_file_and_the_key(tmp_path: Path, text: str, named: str) -> None:
    write(tmp_path, f"[tool.flask-lambda]\n{text}\n")
    with pytest.raises(ProjectError, match=re.escape("pyproject.toml: [tool.flask-lambda]")) as raised:
        Project.load(tmp_path)
    assert named in str(raised.value)


def test_a_file_that_is_not_toml_is_an_error_that_says_so(tmp_path: Path) -> None:
    write(tmp_path, "[tool.flask-lambda\napp = 1\n")
    with pytest.raises(ProjectError, match="is not valid TOML"):
        Project.load(tmp_path)


@pytest.mark.parametrize(
    ("route", "valid"),
    [
        ("$default", True),
        ("GET /", True),
        ("ANY /{proxy+}", True),
        ("DELETE /users/{id}", True),
        ("GET /users/", False),
        ("GET //users", False),
        ("get /users", False),
        ("GET /{a}{b}", False),
        ("GET /a b", False),
    ],
)
def test_route_keys_are_what_api_gateway_accepts(route: str, valid: bool) -> None:
    assert is_route_key(route) is valid


@pytest.mark.parametrize(
    ("folder", "name"), [("my_site", "my-site"), ("Shop API", "shop-api"), ("__", "function"), ("x" * 50, "x" * 40)]
)
def test_a_folder_name_becomes_a_resource_name(folder: str, name: str) -> None:
    assert resource_name(folder) == name


def test_the_sample_declares_its_table_routes_and_secret_itself() -> None:
    project = Project.load(ROOT / "api")
    assert project.table == Table("users", "table:SERVED_TABLE", "USERS_TABLE")
    assert project.secrets == ("PAGE_TOKEN_KEY",)
    assert "GET /users" in project.routes
