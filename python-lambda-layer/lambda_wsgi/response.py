"""The response step: run the WSGI app as PEP 3333 asks of a server, and encode its answer for a result.

Lambda returns one payload, so streamed bodies are gathered and `close()` runs whatever happens;
bodies leave as text only when they are UTF-8 text, else as base64; repeated headers are folded or
listed, never dropped. Event sources build their results from `HttpResponse` with these helpers.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Iterable
from functools import lru_cache
from types import TracebackType
from typing import Any

from .aws import utf8_media_type
from .base64_codec import codec
from .errors import UnsafeResponseError

ExcInfo = tuple[type[BaseException], BaseException, TracebackType]
StartResponse = Callable[[str, list[tuple[str, str]], ExcInfo | None], Callable[[bytes], object]]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
# What checking a response's headers finds: the characters of names and values, its Content-Type and Content-Encoding.
CheckedHeaders = tuple[int, str | None, str | None]
_NO_HEADERS: CheckedHeaders = (0, None, None)

# RFC 9110: a status code is three digits, a header name a token; CR, LF or NUL would end or split a line on the wire.
# Sets and str methods, not regular expressions: compiling two would add a third of a millisecond to every cold start.
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~" + string.digits + string.ascii_letters)
# Status lines and header names already found sound: an app sends the same few, and a set lookup costs a fraction
# of a match. Kept to a bound, as an app may make names up.
_SOUND_STATUSES: set[str] = set()
_SOUND_NAMES: set[str] = set()
_SOUND_KEPT = 256
# The spellings of Content-Type and Content-Encoding among them, which say how the body travels: noted while checking,
# so encoding the body needs no second pass over the headers.
_BODY_NAMES: set[str] = set()
_BODY_HEADERS = frozenset({"content-type", "content-encoding"})

# No body allowed: 1xx, 204 No Content, 304 Not Modified (RFC 9110), and any answer to HEAD.
BODILESS = frozenset({204, 304, *range(100, 200)})


# A plain class with __slots__: a dataclass would cost a millisecond of every cold start to build.
class HttpResponse:
    """What the app answered: status, headers in order (repeats kept), and the whole body."""

    __slots__ = ("body", "content_encoding", "content_type", "header_chars", "headers", "reason", "status")

    def __init__(
        self,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        body: bytes,
        checked: CheckedHeaders | None = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        # The characters of the names and values (for the adapter's cheap bound on the result's size), and the body's
        # media type and coding.
        self.header_chars, self.content_type, self.content_encoding = checked or checked_headers(headers)


def call_app(app: WSGIApp, environ: dict[str, Any]) -> HttpResponse:
    """Run the app; `UnsafeResponseError` when what it started can't be sent, whatever else it did."""
    status_line = ""
    headers: list[tuple[str, str]] = []
    checked: CheckedHeaders = _NO_HEADERS
    refused: UnsafeResponseError | None = None
    chunks: list[bytes] = []

    def start_response(
        status: str, response_headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], object]:
        nonlocal status_line, headers, checked, refused
        if status_line and exc_info is None:
            raise AssertionError("start_response called a second time without exc_info")
        try:
            if status.__class__ is not str or status not in _SOUND_STATUSES:  # the usual one: a set lookup, no call
                checked_status(status)
            checked = checked_headers(response_headers)
        except UnsafeResponseError as error:
            refused = error  # the app may swallow it, but only a later sound call may replace it
            raise
        # Nothing is sent before the app returns, so an error page may always replace the headers.
        status_line, headers, refused = status, response_headers, None
        return chunks.append

    iterable = app(environ, start_response)
    try:
        for chunk in iterable:
            if chunk:
                chunks.append(chunk)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    if refused is not None:
        raise refused
    if not status_line:
        raise RuntimeError("the WSGI app returned without calling start_response")

    status = int(status_line[:3])
    if status in BODILESS or environ["REQUEST_METHOD"] == "HEAD":
        chunks.clear()
    return HttpResponse(status, status_line[4:], headers, b"".join(chunks), checked)


def checked_status(status: object) -> None:
    """`UnsafeResponseError` unless `status` is a status line any server may send ("200 OK", "204")."""
    if status.__class__ is str and status in _SOUND_STATUSES:
        return
    if not isinstance(status, str):
        raise UnsafeResponseError(f"the status is of type {type(status).__name__}, not str")
    code, reason = status[:3], status[3:]
    sound_code = len(code) == 3 and code.isascii() and code.isdigit() and "100" <= code <= "599"
    if not (sound_code and reason[:1] in {"", " "} and not _holds_line_breaks(reason)):
        raise UnsafeResponseError(
            f"the status line {status!r:.80} is not a code from 100 to 599 and a reason without CR, LF or NUL"
        )
    _remember(_SOUND_STATUSES, status)


def checked_headers(headers: Iterable[tuple[str, str]]) -> CheckedHeaders:
    """The characters of the names and values, the Content-Type and the Content-Encoding (the last of each);
    `UnsafeResponseError` names the first header no server may send."""
    if headers.__class__ is not list and not isinstance(headers, list | tuple):  # a generator would be spent here
        raise UnsafeResponseError(f"the headers are a {type(headers).__name__}, not a list of (name, value) pairs")
    chars = 0
    content_type = content_encoding = None
    sound, body_names = _SOUND_NAMES, _BODY_NAMES
    try:
        for name, value in headers:
            # The usual header costs two set lookups and three substring tests, inline; anything else the long way.
            if name not in sound or value.__class__ is not str or "\r" in value or "\n" in value or "\0" in value:
                _check_header(name, value)
                body_name = name.lower() in _BODY_HEADERS
            else:
                body_name = name in body_names
            chars += len(name) + len(value)
            if body_name:
                if len(name) == 12:  # Content-Type; Content-Encoding has 16 letters
                    content_type = value
                else:
                    content_encoding = value
    except (TypeError, ValueError):  # not a (name, value) pair, or a name that can't even be hashed
        for header in headers:
            if not isinstance(header, tuple | list) or len(header) != 2:
                raise UnsafeResponseError(f"a header is not a (name, value) pair: {header!r:.80}") from None
            _check_header(*header)
        raise
    return chars, content_type, content_encoding


def _check_header(name: object, value: object) -> None:
    if not isinstance(name, str):
        raise UnsafeResponseError(f"a header name is of type {type(name).__name__}, not str: {name!r:.80}")
    if not name or not _TOKEN_CHARS.issuperset(name):
        raise UnsafeResponseError(f"the header name {name!r:.80} is not an RFC 9110 token")
    if not isinstance(value, str):
        raise UnsafeResponseError(f"the value of the header {name} is of type {type(value).__name__}, not str")
    if _holds_line_breaks(value):
        raise UnsafeResponseError(f"the value of the header {name} holds a CR, LF or NUL")
    if _remember(_SOUND_NAMES, name) and name.lower() in _BODY_HEADERS:
        _BODY_NAMES.add(name)


def _holds_line_breaks(value: str) -> bool:
    """CR and LF end a header line, NUL ends it for some parsers: each lets a value smuggle in a header of its own."""
    return "\r" in value or "\n" in value or "\0" in value


def _remember(sound: set[str], item: str) -> bool:
    """Whether `item` is (now) among the remembered."""
    if item in sound:
        return True
    if len(sound) < _SOUND_KEPT:
        sound.add(item)
        return True
    return False


def error_body(message: str, **extra: Any) -> bytes:
    """The JSON body of every error the layer answers: `{"message": ..., ...extra}`."""
    return json.dumps({"message": message, **extra}).encode()


def json_error(status: int, reason: str, message: str, **extra: Any) -> HttpResponse:
    """A JSON error response for failures the app never saw (bad events, crashes)."""
    return HttpResponse(status, reason, [("Content-Type", "application/json")], error_body(message, **extra))


# Encoding for the result.

_TEXT_SUBTYPES = frozenset(
    {
        "json",
        "xml",
        "javascript",
        "ecmascript",
        "x-javascript",
        "x-www-form-urlencoded",
        "graphql",
        "yaml",
        "x-yaml",
        "x-ndjson",
    }
)


@lru_cache(maxsize=64)
def is_text(content_type: str | None, content_encoding: str | None) -> bool:
    """True when a body of this type can travel as a JSON string without losing a byte."""
    if content_encoding and content_encoding.strip().lower() != "identity":
        return False
    mime = utf8_media_type(content_type) if content_type else None
    if not mime:
        return False
    major, _, minor = mime.partition("/")
    if major == "text":
        return True
    return (major == "application" and minor in _TEXT_SUBTYPES) or minor.endswith(("+json", "+xml"))


def response_body(response: HttpResponse) -> tuple[str, bool]:
    """Encode a response body for the result: `(text, is_base64)`."""
    body = response.body
    if not body:
        return "", False
    if is_text(response.content_type, response.content_encoding):
        try:
            return body.decode(), False
        except UnicodeDecodeError:
            pass
    return codec().encode(body), True


def folded_headers(headers: list[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Headers as one value per name (repeats comma-joined, RFC 9110) and the Set-Cookie values."""
    folded: dict[str, str] = {}
    names: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        lower = name.lower()
        if lower == "set-cookie":
            cookies.append(value)
        elif lower in names:
            folded[names[lower]] += ", " + value
        else:
            names[lower] = name
            folded[name] = value
    return folded, cookies


def multi_value_headers(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Headers as a list of values per name, Set-Cookie included, in the app's order."""
    grouped: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, value in headers:
        lower = name.lower()
        if lower in names:
            grouped[names[lower]].append(value)
        else:
            names[lower] = name
            grouped[name] = [value]
    return grouped
