"""The handler module of the apig-wsgi function: the shared Blueprint in a Flask app, wrapped as its docs show.

Imported as a top-level module from the function directory, like `main` from the layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apig_wsgi import make_lambda_handler
from flask import Flask
from routes import routes


def wrap(app: Flask) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    return make_lambda_handler(app)


app = Flask(__name__)
app.register_blueprint(routes)
handler = wrap(app)
