"""AWS's facts about HTTP payloads, which serve plays API Gateway with and the layer answers within."""

from __future__ import annotations

import pytest

from lambda_wsgi.aws import GATEWAY_TEXT_TYPES, gateway_passes_as_text, utf8_media_type
from lambda_wsgi.response import is_text


# The types AWS documents as passed as text to Lambda (text/*, JSON, XML, JavaScript, and +json/+xml suffixes);
# any other body, form posts included, arrives base64-encoded.
@pytest.mark.parametrize(
    ("content_type", "text"),
    [
        ("application/json", True),
        ("application/json; charset=UTF-8", True),
        ("text/html", True),
        ("application/problem+json", True),
        ("application/xml", True),
        ("text/plain; charset=iso-8859-1", False),
        ("application/x-www-form-urlencoded", False),
        ("multipart/form-data; boundary=x", False),
        ("application/octet-stream", False),
        ("image/png", False),
        ("", False),
    ],
)
def test_which_request_bodies_api_gateway_passes_as_text(content_type: str, text: bool) -> None:
    assert gateway_passes_as_text(content_type) is text


@pytest.mark.parametrize(
    ("content_type", "media_type"),
    [
        ("Application/JSON", "application/json"),
        ("text/html; charset=UTF-8", "text/html"),
        ('text/html; charset="us-ascii"', "text/html"),
        ("text/html; format=flowed; charset=utf8", "text/html"),
        ("text/plain; charset=iso-8859-1", None),
        ("text/plain; charset=utf-16", None),
    ],
)
def test_a_media_type_is_named_only_for_utf8_compatible_text(content_type: str, media_type: str | None) -> None:
    assert utf8_media_type(content_type) == media_type


@pytest.mark.parametrize(
    "content_type", [*sorted(GATEWAY_TEXT_TYPES), "text/csv", "application/vnd.api+json", "image/svg+xml"]
)
def test_what_api_gateway_passes_as_text_the_layer_answers_as_text(content_type: str) -> None:
    """A body that reached the function as text goes back as text too, with the same charset rule."""
    assert gateway_passes_as_text(content_type)
    assert is_text(content_type, None)
    assert not is_text(content_type + "; charset=latin-1", None)
