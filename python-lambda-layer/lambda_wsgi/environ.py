"""Build the PEP 3333 environ for one request.

The one place that knows the WSGI rules: every required key, native strings, CONTENT_* without
an HTTP_ twin, and the raw event and Lambda context under documented `aws.*` keys.
"""

from __future__ import annotations

import sys
from io import BytesIO
from typing import Any

from .http import HttpRequest

# Not passed as HTTP_* keys: CONTENT_* have their own keys, and the body is no longer chunked.
_SKIPPED = frozenset({"content-type", "content-length", "transfer-encoding"})


def build_environ(request: HttpRequest, event: Any, context: Any, request_id: str) -> dict[str, Any]:
    headers = request.headers
    host = headers.get("host") or request.domain_name or "localhost"
    body = request.body
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": request.script_name,
        "PATH_INFO": request.path_info,
        # AWS hands over the query as text; unescaped non-ASCII in it goes in as its UTF-8 bytes.
        "QUERY_STRING": query if (query := request.query_string).isascii() else _native(query),
        "CONTENT_TYPE": headers.get("content-type", ""),
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": _server_name(host),
        "SERVER_PORT": headers.get("x-forwarded-port") or "443",
        "SERVER_PROTOCOL": request.protocol,
        "REMOTE_ADDR": request.remote_addr,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": headers.get("x-forwarded-proto") or "https",
        "wsgi.input": BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
        "aws.event": event,
        "aws.context": context,
        "aws.request_id": request_id,
    }
    keys = _HEADER_KEYS
    for name, value in headers.items():
        key = keys[name] if name in keys else _header_key(name)
        if key:
            environ[key] = value if value.isascii() else _native(value)
    if "HTTP_HOST" not in environ:
        environ["HTTP_HOST"] = host
    return environ


_HEADER_KEYS: dict[str, str] = {}


def _header_key(name: str) -> str:
    """The environ key of a header, "" for one that is not passed; cached for the usual names."""
    # Names with "_" would collide with their "-" twins (werkzeug and gunicorn drop them too).
    key = "" if name in _SKIPPED or "_" in name else "HTTP_" + name.upper().replace("-", "_")
    if len(_HEADER_KEYS) < 512:  # bounded: header names are chosen by clients
        _HEADER_KEYS[name] = key
    return key


def _server_name(host: str) -> str:
    """The host without its port; `[::1]:8000` gives `[::1]`."""
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() else host


def _native(value: str) -> str:
    """Non-ASCII text as a PEP 3333 native string: its UTF-8 bytes as latin-1 code points.

    API Gateway decodes the client's bytes as UTF-8; encoding them back gives what any WSGI server
    would have put in the environ for the same request.
    """
    return value.encode().decode("latin-1")
