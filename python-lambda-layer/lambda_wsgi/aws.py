"""What AWS documents about HTTP payloads to and from Lambda, in one place for the layer and for serve.

serve plays API Gateway with these facts and the layer answers within them, so the two cannot drift apart.
"""

from __future__ import annotations

# A synchronous invocation's payload, each way, as the runtime encodes it (UTF-8 JSON).
MAX_INVOKE_PAYLOAD = 6 * 1024 * 1024
# A streamed response's most bytes (prelude and body), through a function URL or a REST API in STREAM mode.
MAX_STREAMED_RESPONSE = 200 * 1024 * 1024
# The largest response JSON an Application Load Balancer takes from a Lambda target; over it, ALB answers 502.
MAX_ALB_RESPONSE = 1024 * 1024
# A result's JSON takes at most 6 bytes a character of its strings (\u escapes), at most 3 characters' worth of
# punctuation a header (quotes, colon, brackets, the comma that folds a repeat) and a frame of field names and values.
BYTES_PER_CHAR = 6
CHARS_PER_HEADER = 3
FRAME_BYTES = 1024


class ResultLimit:
    """A limit a result's JSON must keep: its bytes, its name for the log line that tells of a result over it, and
    the weight (characters of body, reason and headers, plus `CHARS_PER_HEADER` a header) that surely fits."""

    __slots__ = ("max_bytes", "name", "surely_fits")

    def __init__(self, max_bytes: int, name: str) -> None:
        self.max_bytes = max_bytes
        self.name = name
        self.surely_fits = (max_bytes - FRAME_BYTES) // BYTES_PER_CHAR


LAMBDA_PAYLOAD_LIMIT = ResultLimit(MAX_INVOKE_PAYLOAD, "Lambda's 6 MB payload limit")
ALB_RESPONSE_LIMIT = ResultLimit(MAX_ALB_RESPONSE, "ALB's 1 MB limit on a Lambda target's response")
# The largest request body an HTTP API accepts.
MAX_HTTP_API_BODY = 10 * 1024 * 1024

# Request bodies API Gateway's HTTP API and function URLs pass as text; any other type arrives base64-encoded.
GATEWAY_TEXT_TYPES = frozenset(
    {"application/json", "application/xml", "application/javascript", "application/ecmascript", "application/graphql"}
)
GATEWAY_TEXT_SUFFIXES = ("+json", "+xml")

# Headers that describe one connection, not the request: API Gateway does not pass them on (RFC 9110 §7.6.1).
HOP_BY_HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "expect"}
)

_UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})


def utf8_media_type(content_type: str) -> str | None:
    """The lowercase media type of a Content-Type whose charset, if it names one, is UTF-8 or ASCII; else None."""
    mime, _, params = content_type.partition(";")
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in _UTF8_CHARSETS:
            return None
    return mime.strip().lower()


def gateway_passes_as_text(content_type: str) -> bool:
    """Whether API Gateway hands a request body of this type to Lambda as text rather than base64."""
    mime = utf8_media_type(content_type)
    if mime is None:
        return False
    return mime.startswith("text/") or mime in GATEWAY_TEXT_TYPES or mime.endswith(GATEWAY_TEXT_SUFFIXES)
