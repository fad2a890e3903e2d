"""The contenders: this layer and the adapters it is compared with, each wrapping the same Flask app.

Each peer's wrapping lives in its handler module in `function/`, so the warm and cold runs use the very same code.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType
from typing import Any

from . import FUNCTION_DIR, LAYER_DIR

Handler = Callable[[dict[str, Any], Any], Any]
OURS = "lambda_wsgi"


@dataclass(frozen=True)
class LayerVariant:
    """This layer set up another way, timed beside it as shipped: the peers log nothing per request, and a
    function may ship pybase64, which the layer then uses for base64 bodies."""

    name: str
    label: str
    access_log: bool
    pybase64: bool

    def wrap(self, app: Any) -> Handler:
        from lambda_wsgi import Adapter

        return Adapter(app, access_log=self.access_log)


VARIANTS: tuple[LayerVariant, ...] = (
    LayerVariant("lambda_wsgi-quiet", "lambda_wsgi, access line off", access_log=False, pybase64=False),
    LayerVariant("lambda_wsgi-pybase64", "lambda_wsgi + pybase64 in the function", access_log=True, pybase64=True),
    LayerVariant(
        "lambda_wsgi-pybase64-quiet", "lambda_wsgi + pybase64, access line off", access_log=False, pybase64=True
    ),
)
OURS_QUIET = VARIANTS[0].name


def pybase64_available() -> bool:
    return importlib.util.find_spec("pybase64") is not None


@cache
def _pybase64() -> ModuleType:
    sys.modules.pop("pybase64", None)  # an earlier block (None) would stop the import
    return importlib.import_module("pybase64")


def layer_finds_pybase64(found: bool | None) -> None:
    """Whether this layer's next base64 body finds pybase64 (as in a function that ships it), or not (the layer
    as shipped); None puts back what Python itself would find."""
    from lambda_wsgi import encoding

    if found:
        sys.modules["pybase64"] = _pybase64()
    elif found is False:
        sys.modules["pybase64"] = None  # type: ignore[assignment]  # how Python marks a module as not importable
    elif "pybase64" in sys.modules and sys.modules["pybase64"] is None:
        del sys.modules["pybase64"]
    encoding._base64.cache_clear()


@dataclass(frozen=True)
class Contender:
    """One adapter: how to wrap an app, which handler module a cold start imports, what its layer ships."""

    name: str
    module: str  # the handler module the Lambda runtime would import (`main.handler` for ours)
    distributions: tuple[str, ...]  # what its layer adds to Flask (pinned by requirements/bench.txt)
    imports: tuple[str, ...]  # top-level packages that must be importable to run it

    @property
    def is_ours(self) -> bool:
        return self.name == OURS

    @property
    def label(self) -> str:
        if self.is_ours:
            return "lambda_wsgi (this layer)"
        return " + ".join(f"{dist} {_version(dist)}" for dist in self.distributions)

    def available(self) -> bool:
        return all(importlib.util.find_spec(name) is not None for name in self.imports)

    def cold_start_paths(self) -> list[str]:
        """sys.path entries in front, as Lambda puts the function code (/var/task) before layers (/opt/python)."""
        return [str(FUNCTION_DIR), str(LAYER_DIR)] if self.is_ours else [str(FUNCTION_DIR)]

    def wrap(self, app: Any) -> Handler:
        if self.is_ours:
            from lambda_wsgi import Adapter

            return Adapter(app)
        # The peers' handler modules import the Blueprint as Lambda would, as the top-level module `routes`.
        if str(FUNCTION_DIR) not in sys.path:
            sys.path.insert(0, str(FUNCTION_DIR))
        wrap: Callable[[Any], Handler] = importlib.import_module(self.module).wrap
        return wrap(app)


CONTENDERS: tuple[Contender, ...] = (
    Contender(OURS, "main", (), ("flask", "lambda_wsgi")),
    Contender("apig-wsgi", "apig_wsgi_main", ("apig-wsgi",), ("flask", "apig_wsgi")),
    Contender("serverless-wsgi", "serverless_wsgi_main", ("serverless-wsgi",), ("flask", "serverless_wsgi")),
    Contender("mangum", "mangum_main", ("mangum", "a2wsgi"), ("flask", "mangum", "a2wsgi")),
)


def add_layer_path() -> None:
    """Make the layer's package `lambda_wsgi` importable, as /opt/python is in Lambda."""
    if str(LAYER_DIR) not in sys.path:
        sys.path.insert(0, str(LAYER_DIR))


def build_app() -> Any:
    """The Flask app every contender wraps and the direct call uses: the shared Blueprint, nothing else."""
    from flask import Flask

    from .function import routes

    app = Flask(routes.__name__)
    app.register_blueprint(routes.routes)
    return app


def select(names: list[str] | None) -> list[Contender]:
    """The named contenders (all by default); ours always comes first."""
    if not names:
        return list(CONTENDERS)
    known = {contender.name: contender for contender in CONTENDERS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"unknown adapter(s): {', '.join(unknown)}; choose from {', '.join(known)}")
    return [contender for contender in CONTENDERS if contender.name in names or contender.is_ours]


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "(not installed)"
