"""A project's own settings: the `[tool.flask-lambda]` table of the `pyproject.toml` in the function's folder.

Every key is optional; command-line flags override what the file says. docs/project.md documents the keys.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambda_wsgi.settings import DEFAULT_APP

PYPROJECT = "pyproject.toml"
SECTION = "tool.flask-lambda"
ARCHITECTURES = ("arm64", "x86_64")
DEFAULT_ROUTES = ("$default",)
METHODS = frozenset({"ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_PARAMETER = re.compile(r"\{[\w.-]+\+?\}")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_APP = re.compile(r"[\w.]+:[\w.]+")


class ProjectError(Exception):
    """A `[tool.flask-lambda]` table the tools cannot use; the message names the file and the key."""


@dataclass(frozen=True)
class Table:
    """A DynamoDB table `serve` creates for the function, as the function's own code defines it."""

    name: str
    # `module:attribute` in the function's folder: a dict of CreateTable's arguments (without TableName).
    definition: str
    # The environment variable that tells the function the table's name.
    variable: str | None = None


@dataclass(frozen=True)
class Project:
    """What a function's folder says about itself; the defaults are what a folder without the table gets."""

    folder: Path
    app: str = DEFAULT_APP
    architecture: str | None = None
    routes: tuple[str, ...] = DEFAULT_ROUTES
    environment: Mapping[str, str] = field(default_factory=dict)
    # Variables `serve` sets to a fresh random value unless the shell that runs it sets them.
    secrets: tuple[str, ...] = ()
    table: Table | None = None
    # Whether serve and invoke play a streaming function URL (the deployment's `response_streaming`).
    stream: bool = False
    # The folder's name as a resource name: the function `serve` and `invoke` play, and `new`'s default name.
    name: str = "function"

    @classmethod
    def load(cls, folder: Path) -> Project:
        """The folder's settings, or the defaults when it has no pyproject.toml or no table for this tool."""
        path = folder / PYPROJECT
        name = resource_name(folder.resolve().name)
        if not path.is_file():
            return cls(folder, name=name)
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ProjectError(f"{path} is not valid TOML: {error}") from None
        settings = document.get("tool", {}).get("flask-lambda", {})
        return _parse(folder, name, settings, _Where(path))


@dataclass(frozen=True)
class _Where:
    path: Path

    def error(self, key: str, problem: str) -> ProjectError:
        return ProjectError(f"{self.path}: [{SECTION}] {key} {problem}")


def _parse(folder: Path, name: str, settings: Any, where: _Where) -> Project:
    if not isinstance(settings, dict):
        raise ProjectError(f"{where.path}: [{SECTION}] must be a table")
    known = {"app", "architecture", "routes", "env", "secrets", "stream", "table"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise where.error(unknown[0], f"is not a setting (the settings are: {', '.join(sorted(known))})")
    app = settings.get("app", DEFAULT_APP)
    if not isinstance(app, str) or not _APP.fullmatch(app):
        raise where.error("app", f"must be module:attribute, such as {DEFAULT_APP!r}; got {app!r}")
    architecture = settings.get("architecture")
    if architecture is not None and architecture not in ARCHITECTURES:
        raise where.error("architecture", f"must be one of {', '.join(ARCHITECTURES)}; got {architecture!r}")
    stream = settings.get("stream", False)
    if not isinstance(stream, bool):
        raise where.error("stream", f"must be true or false; got {stream!r}")
    return Project(
        folder=folder,
        stream=stream,
        app=app,
        architecture=architecture,
        routes=_routes(settings.get("routes", list(DEFAULT_ROUTES)), where),
        environment=_environment(settings.get("env", {}), where),
        secrets=_secrets(settings.get("secrets", []), where),
        table=_table(settings.get("table"), where),
        name=name,
    )


def _routes(routes: Any, where: _Where) -> tuple[str, ...]:
    if not isinstance(routes, list) or not routes or not all(isinstance(route, str) for route in routes):
        raise where.error("routes", 'must be a non-empty list of route keys, such as ["GET /", "$default"]')
    for route in routes:
        if not is_route_key(route):
            raise where.error(
                "routes", f"has {route!r}, which is not an API Gateway route key (METHOD /path, or $default)"
            )
    if len(set(routes)) != len(routes):
        raise where.error("routes", "names a route twice")
    return tuple(routes)


def _environment(environment: Any, where: _Where) -> dict[str, str]:
    if not isinstance(environment, dict):
        raise where.error("env", 'must be a table of NAME = "value"')
    for key, value in environment.items():
        if not _VARIABLE_NAME.fullmatch(key):
            raise where.error("env", f"has {key!r}, which is not an environment variable name")
        if not isinstance(value, str):
            raise where.error("env", f"{key} must be a string (quote numbers and booleans), not {value!r}")
    return dict(environment)


def _secrets(names: Any, where: _Where) -> tuple[str, ...]:
    valid = isinstance(names, list) and all(isinstance(name, str) and _VARIABLE_NAME.fullmatch(name) for name in names)
    if not valid:
        raise where.error("secrets", "must be a list of environment variable names")
    return tuple(names)


def _table(table: Any, where: _Where) -> Table | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        raise where.error("table", "must be a table with name, definition and optionally variable")
    unknown = sorted(set(table) - {"name", "definition", "variable"})
    if unknown:
        raise where.error(f"table.{unknown[0]}", "is not a setting (the settings are: definition, name, variable)")
    name, definition, variable = table.get("name"), table.get("definition"), table.get("variable")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{3,255}", name):
        raise where.error("table.name", f"must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -), not {name!r}")
    if not isinstance(definition, str) or not _APP.fullmatch(definition):
        raise where.error(
            "table.definition", f"must be module:attribute naming CreateTable's arguments, not {definition!r}"
        )
    if variable is not None and not (isinstance(variable, str) and _VARIABLE_NAME.fullmatch(variable)):
        raise where.error("table.variable", f"must be an environment variable name, not {variable!r}")
    return Table(name, definition, variable)


def is_route_key(route: str) -> bool:
    """What API Gateway accepts: `$default`, or a method (or ANY) and a path whose segments are literal,
    `{name}` parameters, or a greedy `{name+}` as the last one."""
    if route == "$default":
        return True
    method, _, path = route.partition(" ")
    if method not in METHODS or not path.startswith("/") or any(character.isspace() for character in path):
        return False
    segments = path[1:].split("/")
    for position, segment in enumerate(segments):
        if "{" in segment or "}" in segment:
            if not _PARAMETER.fullmatch(segment) or (segment.endswith("+}") and position != len(segments) - 1):
                return False
        elif not segment and path != "/":
            return False
    return True


def resource_name(folder_name: str) -> str:
    """A folder's name as AWS resource names allow it: lowercase letters, digits and hyphens."""
    slug = re.sub(r"[^a-z0-9]+", "-", folder_name.lower()).strip("-")
    return slug[:40] or "function"
