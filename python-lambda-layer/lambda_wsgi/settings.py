"""The layer's settings: every `LAMBDA_WSGI_*` variable's name, default and parsing, in one place.

`main.py` reads them once per execution environment; the tools import the names rather than spell them again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

APP_VARIABLE = "LAMBDA_WSGI_APP"
DEFAULT_APP = "routes:routes"
BASE_PATH_VARIABLE = "LAMBDA_WSGI_BASE_PATH"
ACCESS_LOG_VARIABLE = "LAMBDA_WSGI_ACCESS_LOG"
PRIME_PATH_VARIABLE = "LAMBDA_WSGI_PRIME_PATH"
# Reaches Flask's routing and matches no route of a sane app: a 404, with no side effect on any data.
DEFAULT_PRIME_PATH = "/__lambda_wsgi__/prime"
# The event kinds whose callers take a streamed response (`function-url`, `rest-api`), comma-separated: set where the
# deployment streams them (a function URL in RESPONSE_STREAM mode, a REST integration in STREAM mode), which needs the
# layer's own runtime loop, started by `AWS_LAMBDA_EXEC_WRAPPER=` + `EXEC_WRAPPER`.
STREAM_VARIABLE = "LAMBDA_WSGI_STREAM"
STREAMABLE = frozenset({"function-url", "rest-api"})
# Where the layer's runtime loop starts, for `AWS_LAMBDA_EXEC_WRAPPER`: the layer's files are unpacked under /opt.
EXEC_WRAPPER = "/opt/flask-lambda-runtime"
# What a deployment may set; Terraform's checks compare its environment against these.
VARIABLES = (APP_VARIABLE, BASE_PATH_VARIABLE, ACCESS_LOG_VARIABLE, PRIME_PATH_VARIABLE, STREAM_VARIABLE)

_TRUE = frozenset({"on", "true", "1", "yes"})


@dataclass(frozen=True, slots=True)
class Settings:
    """What the layer was told, read from the function's environment variables."""

    app: str = DEFAULT_APP
    base_path: str | None = None
    access_log: bool = False
    # None leaves the SnapStart priming request out (`LAMBDA_WSGI_PRIME_PATH=off`).
    prime_path: str | None = DEFAULT_PRIME_PATH
    # Lambda's own variable, not the layer's: set when the function is initialised for a SnapStart snapshot.
    snap_start: bool = False
    # The event kinds answered with a stream (see STREAM_VARIABLE); empty: every answer is one buffered result.
    stream: frozenset[str] = frozenset()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        prime_path = environ.get(PRIME_PATH_VARIABLE) or DEFAULT_PRIME_PATH
        return cls(
            # Empty is unset, as Terraform and the console leave a variable they were given no value for.
            app=environ.get(APP_VARIABLE) or DEFAULT_APP,
            base_path=environ.get(BASE_PATH_VARIABLE),
            access_log=environ.get(ACCESS_LOG_VARIABLE, "").lower() in _TRUE,
            prime_path=None if prime_path.lower() == "off" else prime_path,
            snap_start=environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start",
            stream=_stream_kinds(environ.get(STREAM_VARIABLE, "")),
        )


def _stream_kinds(value: str) -> frozenset[str]:
    kinds = frozenset(kind.strip().lower() for kind in value.split(",") if kind.strip())
    if unknown := kinds - STREAMABLE:
        raise ValueError(
            f"{STREAM_VARIABLE} names {', '.join(sorted(unknown))}; it takes {', '.join(sorted(STREAMABLE))}"
        )
    return kinds
