"""The contenders (this layer, the adapters it is compared with, and the floor) and the warm rows they run as.

Each peer's wrapping lives in its handler module in `function/`, so the warm and cold runs use the very same code;
so does the floor's (`floor_main`: Flask called with a minimal environ, no adapter).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any, Literal

from . import BENCH_REQUIREMENTS

Handler = Callable[[dict[str, Any], Any], Any]
Role = Literal["ours", "peer", "floor"]
LogFormat = Literal["text", "json"]
OURS = "lambda_wsgi"
FLOOR = "floor"


@dataclass(frozen=True)
class Contender:
    """One way to run the app on Lambda: how to wrap it, which handler module a cold start imports, what its
    layer adds to the pinned Flask stack of requirements/layer.txt."""

    name: str
    module: str  # the handler module the Lambda runtime imports (`main`, from the layer, for ours)
    distributions: tuple[str, ...]  # what its layer adds to Flask (pinned by requirements/bench.txt)
    imports: tuple[str, ...]  # top-level packages that must be importable here to time it warm
    role: Role = "peer"

    @property
    def is_ours(self) -> bool:
        return self.role == "ours"

    @property
    def label(self) -> str:
        if self.is_ours:
            return "lambda_wsgi (this layer)"
        if self.role == "floor":
            return "Floor: Flask, minimal handler, no adapter"
        return " + ".join(f"{dist} {pinned_version(dist)}" for dist in self.distributions)

    def available(self) -> bool:
        return all(importlib.util.find_spec(name) is not None for name in self.imports)

    def wrap(self, app: Any, *, access_log: bool = False) -> Handler:
        if self.is_ours:
            from lambda_wsgi import Adapter

            return Adapter(app, access_log=access_log)
        # The same handler module a cold start imports from /var/task, here as part of the bench package.
        wrap: Callable[[Any], Handler] = importlib.import_module(f"{__package__}.function.{self.module}").wrap
        return wrap(app)


CONTENDERS: tuple[Contender, ...] = (
    Contender(OURS, "main", (), ("flask", "lambda_wsgi"), role="ours"),
    Contender("apig-wsgi", "apig_wsgi_main", ("apig-wsgi",), ("flask", "apig_wsgi")),
    Contender("serverless-wsgi", "serverless_wsgi_main", ("serverless-wsgi",), ("flask", "serverless_wsgi")),
    Contender("mangum", "mangum_main", ("mangum", "a2wsgi"), ("flask", "mangum", "a2wsgi")),
    Contender(FLOOR, "floor_main", (), ("flask",), role="floor"),
)


@dataclass(frozen=True)
class Row:
    """One warm row: a contender set up one way. This layer's first row is the layer as shipped (access line
    off, pybase64 importable); its other rows turn the access line on under each of the runtime's log formats,
    or make pybase64 unimportable. `pybase64=None` leaves whatever Python finds (the peers don't use it)."""

    name: str
    label: str
    contender: Contender
    access_log: bool = False
    log_format: LogFormat = "text"
    pybase64: bool | None = None

    def wrap(self, app: Any) -> Handler:
        return self.contender.wrap(app, access_log=self.access_log)


def warm_rows(contenders: list[Contender]) -> list[Row]:
    """Ours as shipped and its opt-in variants first, then the peers, then the floor."""
    rows: list[Row] = []
    for contender in contenders:
        if contender.is_ours:
            rows += [
                Row(OURS, "lambda_wsgi (this layer, as shipped)", contender, pybase64=True),
                Row(
                    "lambda_wsgi-access-text",
                    "lambda_wsgi, access line on, runtime's text log format",
                    contender,
                    access_log=True,
                    pybase64=True,
                ),
                Row(
                    "lambda_wsgi-access-json",
                    "lambda_wsgi, access line on, runtime's JSON log format",
                    contender,
                    access_log=True,
                    log_format="json",
                    pybase64=True,
                ),
                Row("lambda_wsgi-stdlib-base64", "lambda_wsgi, standard-library base64", contender, pybase64=False),
            ]
        else:
            rows.append(Row(contender.name, contender.label, contender))
    return rows


def pybase64_available() -> bool:
    return importlib.util.find_spec("pybase64") is not None


@cache
def _pybase64() -> ModuleType:
    sys.modules.pop("pybase64", None)  # an earlier block (None) would stop the import
    return importlib.import_module("pybase64")


def layer_finds_pybase64(found: bool | None) -> None:
    """Whether this layer's next base64 body finds pybase64 (as shipped: the layer holds it) or not (to show
    what it buys); None puts back what Python itself would find."""
    from lambda_wsgi import base64_codec

    if found:
        sys.modules["pybase64"] = _pybase64()
    elif found is False:
        sys.modules["pybase64"] = None  # type: ignore[assignment]  # how Python marks a module as not importable
    elif "pybase64" in sys.modules and sys.modules["pybase64"] is None:
        del sys.modules["pybase64"]
    base64_codec.codec.cache_clear()


def layer_encoder() -> Callable[[bytes], str]:
    """The function this layer encodes a binary response body with, as things stand (see layer_finds_pybase64)."""
    from lambda_wsgi import base64_codec

    return base64_codec.codec().encode


def build_app() -> Any:
    """The Flask app every contender wraps and the direct call uses: the shared Blueprint, nothing else."""
    from flask import Flask

    from .function import routes

    app = Flask(routes.__name__)
    app.register_blueprint(routes.routes)
    return app


def select(names: list[str] | None) -> list[Contender]:
    """The named peers (all by default); ours always comes first and the floor last."""
    if not names:
        return list(CONTENDERS)
    known = {contender.name: contender for contender in CONTENDERS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"unknown adapter(s): {', '.join(unknown)}; choose from {', '.join(known)}")
    return [contender for contender in CONTENDERS if contender.name in names or contender.role != "peer"]


@cache
def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in BENCH_REQUIREMENTS.read_text().splitlines():
        name, _, version = line.partition("#")[0].strip().partition("==")
        if version:
            pins[_normalise(name)] = version
    return pins


def pinned_version(distribution: str) -> str:
    """The version requirements/bench.txt pins, which is what the peers' layers are built with."""
    return _pins().get(_normalise(distribution), "(not pinned)")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
