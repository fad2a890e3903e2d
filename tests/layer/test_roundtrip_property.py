"""Property: random paths, queries, headers, cookies and bodies survive event → Flask → result exactly."""

from __future__ import annotations

import base64
import json
import string
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_wsgi import Adapter
from lambda_wsgi.app_loader import app_for_blueprint
from tests.conftest import http_event, lambda_context

mirror = Blueprint("mirror", __name__)


@mirror.route("/<path:rest>", methods=["POST"])
def reflect(rest: str) -> Response:
    """Answer with everything received: headers and cookies come back as headers and cookies."""
    described: dict[str, Any] = {
        "path": request.path,
        "args": request.args.to_dict(flat=False),
        "query_string": request.query_string.decode("latin-1"),
        "headers": {name.lower(): value for name, value in request.headers.items() if name.lower().startswith("x-t-")},
        "cookies": request.cookies.to_dict(),
    }
    response = Response(request.get_data(), content_type=request.content_type)
    response.headers["X-Described"] = base64.b64encode(json.dumps(described).encode()).decode()
    for name, value in described["headers"].items():
        response.headers["X-Echo-" + name] = value
    for name, value in described["cookies"].items():
        response.set_cookie(name, value)
    return response


ADAPTER = Adapter(app_for_blueprint(mirror, __name__))

# Control characters are left out: werkzeug's path converter does not match a newline.
segment = st.text(st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="/"), min_size=1, max_size=12)
query_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=10)
header_name = st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=12).map(lambda s: "x-t-" + s)
header_value = st.text(string.ascii_letters + string.digits + " !#$%&'()*+,-./:;<=>?@[]^_`{|}~", max_size=30).map(
    str.strip
)
cookie_name = st.text(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~", min_size=1, max_size=10)
cookie_value = st.text(string.ascii_letters + string.digits + "!#$%&'()*+-./:<=>?@[]^_`{|}~", max_size=20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    segments=st.lists(segment, min_size=1, max_size=4),
    pairs=st.lists(st.tuples(query_text.filter(bool), query_text), max_size=5),
    headers=st.dictionaries(header_name, header_value, max_size=5),
    cookies=st.dictionaries(cookie_name, cookie_value, max_size=4),
    body=st.one_of(st.binary(max_size=2000), st.text(max_size=500)),
)
def test_request_and_response_round_trip(
    segments: list[str],
    pairs: list[tuple[str, str]],
    headers: dict[str, str],
    cookies: dict[str, str],
    body: bytes | str,
) -> None:
    raw_path = "/" + "/".join(quote(part, safe="") for part in segments)
    query = urlencode(pairs)
    content_type = "application/octet-stream" if isinstance(body, bytes) else "text/plain; charset=utf-8"
    event = http_event(
        method="POST",
        path=raw_path,
        query=query,
        headers={**headers, "content-type": content_type},
        cookies=[f"{name}={value}" for name, value in cookies.items()],
        body=body,
    )
    result = ADAPTER(event, lambda_context())
    assert result["statusCode"] == 200, result

    out_headers = result["headers"]  # type: ignore[typeddict-item]
    described = json.loads(base64.b64decode(out_headers["X-Described"]))
    assert described["path"] == "/" + "/".join(segments)
    assert described["query_string"] == query
    expected_args: dict[str, list[str]] = {}
    for key, value in pairs:
        expected_args.setdefault(key, []).append(value)
    assert described["args"] == expected_args
    assert described["headers"] == headers
    assert described["cookies"] == cookies

    sent = body if isinstance(body, bytes) else body.encode()
    received = base64.b64decode(result["body"]) if result["isBase64Encoded"] else result["body"].encode()
    assert received == sent
    assert result["isBase64Encoded"] is isinstance(body, bytes) or not sent
    for name, value in headers.items():
        assert out_headers["X-Echo-" + name] == value
    pairs_back = (cookie.split(";")[0].partition("=") for cookie in result["cookies"])  # type: ignore[typeddict-item]
    returned = {name: value for name, _, value in pairs_back}
    assert {name: value.strip('"') for name, value in returned.items()} == cookies
