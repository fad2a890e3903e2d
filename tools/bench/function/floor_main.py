"""The floor's handler module: the shared Blueprint in a Flask app, called with the least environ it needs.

No adapter: enough of an HTTP API 2.0 event becomes a WSGI environ to serve the benchmark's requests, and the
response becomes a Lambda result, with nothing else (no other event kinds, base path, errors or logging). What
it costs is Flask's own import and request handling, which no adapter can go below.
"""

from __future__ import annotations

import binascii
import sys
from collections.abc import Callable
from functools import cache
from io import BytesIO
from typing import Any

from flask import Flask

try:  # inside the bench package, as the warm runs import it
    from .routes import routes
except ImportError:  # at the root of the function, as a cold start imports it from /var/task
    from routes import routes

_TEXT_TYPES = ("text/", "application/json")


@cache
def _encoder() -> Callable[[bytes], str]:
    """pybase64's encoder (the layer ships it, so the floor uses it too), looked up at the first binary body."""
    try:
        from pybase64 import b64encode_as_string
    except ImportError:
        return lambda body: binascii.b2a_base64(body, newline=False).decode("ascii")
    return b64encode_as_string


def wrap(app: Flask) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        http = event["requestContext"]["http"]
        headers: dict[str, str] = event.get("headers") or {}
        body = event.get("body") or ""
        data = binascii.a2b_base64(body) if event.get("isBase64Encoded") else body.encode()
        environ: dict[str, Any] = {
            "REQUEST_METHOD": http["method"],
            "SCRIPT_NAME": "",
            "PATH_INFO": event["rawPath"],
            "QUERY_STRING": event.get("rawQueryString", ""),
            "SERVER_NAME": headers.get("host", "lambda"),
            "SERVER_PORT": headers.get("x-forwarded-port", "443"),
            "SERVER_PROTOCOL": http["protocol"],
            "REMOTE_ADDR": http["sourceIp"],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": headers.get("x-forwarded-proto", "https"),
            "wsgi.input": BytesIO(data),
            "wsgi.input_terminated": True,  # the whole body is in memory: werkzeug need not limit its reads
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            environ[key if key in {"CONTENT_TYPE", "CONTENT_LENGTH"} else "HTTP_" + key] = value
        if event.get("cookies"):
            environ["HTTP_COOKIE"] = "; ".join(event["cookies"])
        started: list[Any] = []
        chunks: list[bytes] = []

        def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, response_headers]
            return chunks.append

        iterable = app(environ, start_response)
        try:
            chunks.extend(iterable)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
        status, response_headers = started
        payload = b"".join(chunks)
        content_type = next((value for name, value in response_headers if name.lower() == "content-type"), "")
        text = content_type.startswith(_TEXT_TYPES)
        return {
            "statusCode": int(status[:3]),
            "headers": dict(response_headers),
            "body": payload.decode() if text else _encoder()(payload),
            "isBase64Encoded": not text,
        }

    return handler


app = Flask(__name__)
app.register_blueprint(routes)
handler = wrap(app)
