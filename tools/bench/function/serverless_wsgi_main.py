"""The handler module of the serverless-wsgi function: the shared Blueprint in a Flask app, wrapped as its docs show.

Imported as a top-level module from the function directory, like `main` from the layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import serverless_wsgi
from flask import Flask

try:  # inside the bench package, as the warm runs import it
    from .routes import routes
except ImportError:  # at the root of the function, as a cold start imports it from /var/task
    from routes import routes


def wrap(app: Flask) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        result: dict[str, Any] = serverless_wsgi.handle_request(app, event, context)
        return result

    return handler


app = Flask(__name__)
app.register_blueprint(routes)
handler = wrap(app)
