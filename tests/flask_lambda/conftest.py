"""Fixtures for flask-lambda's packaging and serve tests: the zips, built once per test session, and serve runs.

Serve runs bind to free ports on 127.0.0.1 and are always stopped, whatever the test did.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from flask_lambda import package
from tests.conftest import API_DIR, RUNTIME_PYTHON
from tests.flask_lambda.serve.serving import Serve

HERE = Path(__file__).resolve().parent
ECHO_DIR = HERE / "echo_function"
SITE_DIR = HERE / "site_function"  # templates, static files, data and plugins that no import names


@dataclass(frozen=True)
class Zips:
    layer: Path  # for this machine's architecture, so serve can load its native code
    echo: Path
    api: Path | None


@pytest.fixture(scope="session")
def zips(tmp_path_factory: pytest.TempPathFactory) -> Zips:
    if not RUNTIME_PYTHON.is_file():
        pytest.fail(
            f"{RUNTIME_PYTHON} is missing: the Lambda runtime venv (requirements/runtime.txt) that "
            "./build.sh test and ./build.sh serve set up"
        )
    out = tmp_path_factory.mktemp("zips")
    layer = package.build_layer(out / "layer.zip", package.host_architecture())
    echo = package.build_function(out / "echo.zip", ECHO_DIR)
    api = package.build_function(out / "api.zip", API_DIR) if (API_DIR / "routes.py").is_file() else None
    return Zips(layer.path, echo.path, api.path if api else None)


@contextmanager
def serving(*args: str, command: list[str] | None = None) -> Iterator[Serve]:
    serve = Serve(*args, command=command)
    try:
        yield serve.wait_ready()
    finally:
        serve.stop()
