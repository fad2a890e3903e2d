"""Request bodies and headers as the event kinds carry them: base64 or text bodies, single or repeated headers.

Shared by the sources whose events use the same fields (REST API and HTTP API 1.0, ALB, HTTP API 2.0).
"""

from __future__ import annotations

import binascii
from typing import Any

from ..base64_codec import codec
from ..errors import BadEventError


def request_body(body: str | None, is_base64: bool) -> bytes:
    """The exact bytes the client sent: UTF-8 of a text body, or the decoded base64."""
    if not body:
        return b""
    if not is_base64:
        return body.encode()
    try:
        return codec().decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise BadEventError("isBase64Encoded is true but the body is not valid base64") from None


def request_headers(event: dict[str, Any]) -> dict[str, str]:
    """Request headers of a 1.0 or ALB event by lowercase name, repeats joined as HTTP allows."""
    multi = event.get("multiValueHeaders")
    if not multi:
        return {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    headers: dict[str, str] = {}
    for name, values in multi.items():
        lower = name.lower()
        separator = "; " if lower == "cookie" else ", "
        joined = separator.join(values or ())
        headers[lower] = headers[lower] + separator + joined if lower in headers else joined
    return headers
