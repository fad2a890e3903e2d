"""Find the user's app from `module:attribute` and make it a WSGI callable, once per cold start.

A Flask Blueprint gets a Flask app of its own; a Flask app gets the layer's JSON 500 unless it
has a 500 handler; any other WSGI callable is used as is.
Every way this can fail becomes one `AppLoadError` that says what was looked for and where.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from types import ModuleType
from typing import Any, cast

from .errors import AppLoadError
from .response import WSGIApp, error_body
from .settings import APP_VARIABLE, DEFAULT_APP


def load_app(spec: str = DEFAULT_APP) -> WSGIApp:
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise AppLoadError(f"{APP_VARIABLE}={spec!r} is not of the form module:attribute (e.g. {DEFAULT_APP})")
    module = _import(module_name, spec)
    target = getattr(module, attribute, None)
    if target is None:
        raise AppLoadError(
            f"module {module_name!r} ({module.__file__}) has no attribute {attribute!r}; "
            f"define it there or set {APP_VARIABLE} to module:attribute"
        )
    flask = sys.modules.get("flask")  # a Blueprint or a Flask app means Flask is imported already
    if flask is not None and isinstance(target, flask.Blueprint):
        try:
            return app_for_blueprint(target, module_name)
        except Exception as error:  # the Blueprint's own set-up (record_once) refused: a missing setting...
            raise AppLoadError(_failure(f"setting up the Blueprint {spec}", error)) from None
    if flask is not None and isinstance(target, flask.Flask):
        return with_json_errors(target)
    if not callable(target):
        raise AppLoadError(
            f"{spec} is a {type(target).__name__}, not a Flask Blueprint, a Flask app or a WSGI callable"
        )
    return cast(WSGIApp, target)


def _import(module_name: str, spec: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        # The module itself (or a package above it) is missing, not something it imports.
        if error.name is not None and (module_name == error.name or module_name.startswith(error.name + ".")):
            searched = ", ".join(path for path in sys.path if path) or "(empty sys.path)"
            raise AppLoadError(
                f"no module named {module_name!r} for {APP_VARIABLE}={spec} (searched: {searched}); "
                f"put {module_name.replace('.', '/')}.py at the root of the function's code"
            ) from None
        raise AppLoadError(_failure(f"importing {module_name!r}", error)) from None
    except Exception as error:
        raise AppLoadError(_failure(f"importing {module_name!r}", error)) from None


def _failure(doing: str, error: BaseException) -> str:
    """Say what broke and where in the user's code, in one line."""
    where = ""
    if isinstance(error, SyntaxError) and error.filename:
        where = f" at {error.filename}:{error.lineno}"
    elif error.__traceback__ is not None:
        frame = traceback.extract_tb(error.__traceback__)[-1]
        where = f" at {frame.filename}:{frame.lineno}"
    return f"{doing} failed{where}: {type(error).__name__}: {error}"


def app_for_blueprint(blueprint: Any, import_name: str, **options: Any) -> WSGIApp:
    """A Flask app that serves the Blueprint, configured from FLASK_* variables (FLASK_SECRET_KEY).

    `options` go to `register_blueprint`, where the Blueprint's set-up functions find them (`state.options`).
    """
    from flask import Flask

    app = Flask(import_name)
    app.config.from_prefixed_env()
    # Added first, so a handler of the Blueprint's own (app_errorhandler(500)) replaces it.
    with_json_errors(app)
    app.register_blueprint(blueprint, **options)
    return cast(WSGIApp, app)


def with_json_errors(app: Any) -> WSGIApp:
    """Answer unhandled exceptions with the layer's JSON 500 and request id, unless the app has its own 500."""
    from flask import request
    from werkzeug.exceptions import InternalServerError

    def internal_error(error: InternalServerError) -> tuple[bytes, int, dict[str, str]]:
        body = error_body("Internal Server Error", requestId=request.environ.get("aws.request_id", ""))
        return body, 500, {"Content-Type": "application/json"}

    if 500 not in app.error_handler_spec[None]:
        app.register_error_handler(InternalServerError, internal_error)
    return cast(WSGIApp, app)
