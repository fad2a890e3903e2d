"""The handler module of the Mangum + a2wsgi function: the shared Blueprint in a Flask app, as an ASGI app.

Lifespan is off: a WSGI app has no startup or shutdown, and "auto" would run that cycle on every request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from a2wsgi import WSGIMiddleware
from flask import Flask
from mangum import Mangum

try:  # inside the bench package, as the warm runs import it
    from .routes import routes
except ImportError:  # at the root of the function, as a cold start imports it from /var/task
    from routes import routes


def wrap(app: Flask) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    handler: Callable[[dict[str, Any], Any], dict[str, Any]] = Mangum(WSGIMiddleware(app), lifespan="off")
    return handler


app = Flask(__name__)
app.register_blueprint(routes)
handler = wrap(app)
