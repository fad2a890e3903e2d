"""What serve and invoke are asked to do, as frozen values: the command line (cli.py) is read into these once.

`FunctionOptions` describe the function and what it runs with; `ServeOptions` add how serve serves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask_lambda.project import Table

from .authorizer import Authorizer
from .routes import DEFAULT_ROUTE


@dataclass(frozen=True)
class FunctionOptions:
    """The function: where its code comes from, its architecture, and the settings its environments get."""

    function_dir: Path  # absolute, as typed from where the command ran
    # The function's name on Lambda (AWS_LAMBDA_FUNCTION_NAME, its ARN): the project folder's, as `new` names it.
    name: str
    layer_zip: Path | None  # None: built
    function_zip: Path | None  # None: built from function_dir
    app: str  # the `module:attribute` the built function must serve (LAMBDA_WSGI_APP)
    # What the zips are built for; None is this machine's, so that environments load the layer's native code.
    architecture: str | None
    env: tuple[tuple[str, str], ...]  # the project's variables, then --env NAME=VALUE, in the order given
    table: Table | None  # the table to set up and name in the function's environment, if any
    secrets: tuple[str, ...]  # variables given a fresh random value unless serve's own environment sets them
    dynamodb_endpoint: str | None  # None: an embedded DynamoDB when a table is asked for
    timeout: float
    region: str
    snap_start: bool
    # Play a streaming function URL: function URL events, and the function set up to stream them (docs/streaming.md).
    stream: bool
    # The interpreter environments run under (absolute, not resolved: a venv's is a symlink); None: the cached one.
    runtime_python: Path | None

    @property
    def variables(self) -> dict[str, str]:
        """--env as the function will see it: a later NAME=VALUE wins."""
        return dict(self.env)


@dataclass(frozen=True)
class ServeOptions:
    function: FunctionOptions
    port: int = 8000
    concurrency: int = 4
    watch: bool = False
    authorizer: Authorizer | None = None
    # The HTTP API's route keys: a request that takes none gets API Gateway's 404 without an invocation.
    routes: tuple[str, ...] = (DEFAULT_ROUTE,)
