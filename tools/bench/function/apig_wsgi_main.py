"""The handler module of the apig-wsgi function: the shared Blueprint in a Flask app, wrapped as its docs show.

Imported as a top-level module from the function directory, like `main` from the layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apig_wsgi import make_lambda_handler
from flask import Flask

try:  # inside the bench package, as the warm runs import it
    from .routes import routes
except ImportError:  # at the root of the function, as a cold start imports it from /var/task
    from routes import routes


def wrap(app: Flask) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    handler: Callable[[dict[str, Any], Any], dict[str, Any]] = make_lambda_handler(app)
    return handler


app = Flask(__name__)
app.register_blueprint(routes)
handler = wrap(app)
