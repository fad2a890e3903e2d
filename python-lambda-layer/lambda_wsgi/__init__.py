"""Run a WSGI app (a Flask Blueprint, a Flask app, any WSGI callable) as a Lambda function.

Behind API Gateway (HTTP API 2.0 and 1.0, REST API), Lambda function URLs and ALB.
"""

from .adapter import Adapter, StreamingAdapter
from .app_loader import load_app
from .errors import AppLoadError, UnsupportedEventError
from .settings import APP_VARIABLE, DEFAULT_APP

__all__ = [
    "APP_VARIABLE",
    "DEFAULT_APP",
    "Adapter",
    "AppLoadError",
    "StreamingAdapter",
    "UnsupportedEventError",
    "load_app",
]
