"""The files the commands need beside their code: the layer's sources and pins, the Terraform module.

An installed distribution carries them in `flask_lambda/_bundled/`; a checkout of the repository reads them
where they live in it. Nothing else knows either layout.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_BUNDLED = _PACKAGE / "_bundled"
_REPOSITORY = _PACKAGE.parent


def _resource(bundled: str, in_repository: str) -> Path:
    inside = _BUNDLED / bundled
    return inside if _BUNDLED.is_dir() else _REPOSITORY / in_repository


LAYER_DIR = _resource("layer", "python-lambda-layer")
LAYER_REQUIREMENTS = _resource("requirements/layer.txt", "requirements/layer.txt")
RUNTIME_REQUIREMENTS = _resource("requirements/runtime.txt", "requirements/runtime.txt")
DYNAMODB_REQUIREMENTS = _resource("requirements/dynamodb.txt", "requirements/dynamodb.txt")
TERRAFORM_MODULE = _resource("terraform/flask-function", "infra/modules/flask-function")
SCAFFOLD_DIR = _PACKAGE / "scaffold"


def distribution_version() -> str:
    """The installed flask-lambda's version, or the checkout's from its pyproject.toml."""
    try:
        return version("flask-lambda")
    except PackageNotFoundError:
        import tomllib

        with (_REPOSITORY / "pyproject.toml").open("rb") as file:
            return str(tomllib.load(file)["project"]["version"])
