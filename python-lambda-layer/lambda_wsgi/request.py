"""The request step: what an event source read from its event becomes the PEP 3333 environ.

The one place that knows the WSGI rules: every required key, native strings ("bytes as str") for
paths, query and headers, CONTENT_* without an HTTP_ twin, the exact body bytes, and the raw event
and Lambda context under documented `aws.*` keys.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from io import BytesIO
from typing import Any
from urllib.parse import unquote_to_bytes

Environ = dict[str, Any]

# Not passed as HTTP_* keys: CONTENT_* have their own keys, and the body is no longer chunked.
_SKIPPED = frozenset({"content-type", "content-length", "transfer-encoding"})


# Every key PEP 3333 asks for and the layer's own, with the values that never change.
_TEMPLATE: Environ = {
    "REQUEST_METHOD": "",
    "SCRIPT_NAME": "",
    "PATH_INFO": "",
    "QUERY_STRING": "",
    "CONTENT_TYPE": "",
    "CONTENT_LENGTH": "",
    "SERVER_NAME": "",
    "SERVER_PORT": "",
    "SERVER_PROTOCOL": "",
    "REMOTE_ADDR": "",
    "HTTP_HOST": "",
    "wsgi.version": (1, 0),
    "wsgi.url_scheme": "",
    "wsgi.input": None,
    "wsgi.errors": None,
    "wsgi.multithread": False,
    "wsgi.multiprocess": True,
    "wsgi.run_once": False,
    "wsgi.input_terminated": True,
    "aws.event": None,
    "aws.context": None,
    "aws.request_id": "",
}


def build_environ(
    *,
    method: str,
    script_name: str,
    path_info: str,
    query_string: str,
    headers: Mapping[str, str],
    body: bytes,
    remote_addr: str,
    protocol: str,
    domain_name: str,
    event: Any,
    context: Any,
    request_id: str,
    cookies: str = "",
) -> Environ:
    """`headers` by lowercase name, repeats joined; `cookies` a Cookie value carried outside them (HTTP API 2.0)."""
    host = headers.get("host") or domain_name or "localhost"
    environ = _TEMPLATE.copy()  # a copy of a dict this size costs a fifth of building it key by key
    environ["REQUEST_METHOD"] = method
    environ["SCRIPT_NAME"] = script_name
    environ["PATH_INFO"] = path_info
    # AWS hands over the query as text; unescaped non-ASCII in it goes in as its UTF-8 bytes.
    environ["QUERY_STRING"] = query_string if query_string.isascii() else _native(query_string)
    environ["CONTENT_TYPE"] = headers.get("content-type", "")
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["SERVER_NAME"] = _server_name(host)
    environ["SERVER_PORT"] = headers.get("x-forwarded-port") or "443"
    environ["SERVER_PROTOCOL"] = protocol
    environ["REMOTE_ADDR"] = remote_addr
    environ["HTTP_HOST"] = host
    environ["wsgi.url_scheme"] = headers.get("x-forwarded-proto") or "https"
    environ["wsgi.input"] = BytesIO(body)
    environ["wsgi.errors"] = sys.stderr
    environ["aws.event"] = event
    environ["aws.context"] = context
    environ["aws.request_id"] = request_id
    keys = _HEADER_KEYS
    for name, value in headers.items():
        key = keys[name]
        if key:
            environ[key] = value if value.isascii() else _native(value)
    if cookies:
        # RFC 6265 joins cookie pairs with "; ", after any Cookie header the request also had.
        cookie = environ["HTTP_COOKIE"] + "; " + cookies if "HTTP_COOKIE" in environ else cookies
        environ["HTTP_COOKIE"] = cookie if cookie.isascii() else _native(cookie)
    return environ


class _HeaderKeys(dict[str, str]):
    """Header name -> environ key, "" for a header that is not passed; remembers the usual names."""

    def __missing__(self, name: str) -> str:
        # Names with "_" would collide with their "-" twins (werkzeug and gunicorn drop them too).
        key = "" if name in _SKIPPED or "_" in name else "HTTP_" + name.upper().replace("-", "_")
        if len(self) < 512:  # bounded: header names are chosen by clients
            self[name] = key
        return key


_HEADER_KEYS = _HeaderKeys()


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


# Paths: PEP 3333 wants PATH_INFO and SCRIPT_NAME as the percent-decoded bytes, as latin-1 text.


def native_path(raw_path: str) -> str:
    """Percent-decode a path to a PEP 3333 native string.

    AWS sometimes hands over a path it has already decoded (non-ASCII text in it);
    `unquote_to_bytes` encodes such text as UTF-8 first, so both forms end up as the same bytes.
    """
    if "%" not in raw_path and raw_path.isascii():
        return raw_path
    return unquote_to_bytes(raw_path).decode("latin-1")
