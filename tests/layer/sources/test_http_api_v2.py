"""HTTP API payload 2.0 and function URL events: stages, base paths, custom domains, cookies and the 2.0 result."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_wsgi import Adapter
from lambda_wsgi.app_loader import app_for_blueprint
from tests.conftest import http_event, lambda_context, load_event
from tests.layer import sample_routes
from tests.layer.conftest import Invoke, echo, json_body


def test_named_stage_moves_to_script_name_and_into_url_for(invoke: Invoke) -> None:
    result = invoke(http_event(raw_path="/users/ada", stage="prod"))
    assert result["statusCode"] == 200
    seen = json_body(result)
    assert seen["name"] == "ada"
    assert seen["link"] == "/prod/users/ada"
    assert seen["external"] == "https://r3pmxmplak.execute-api.us-east-2.amazonaws.com/prod/users/ada"


def test_the_aws_named_stage_fixture_routes(invoke: Invoke) -> None:
    event = load_event("http_api_v2_named_stage")
    event["rawPath"] = "/prod/users/42"
    assert json_body(invoke(event))["link"] == "/prod/users/42"


def test_default_stage_routes_unchanged(invoke: Invoke) -> None:
    assert json_body(invoke(http_event(raw_path="/users/ada")))["link"] == "/users/ada"


def test_custom_domain_without_the_prefix_routes_unchanged(invoke: Invoke) -> None:
    event = http_event(raw_path="/users/ada", headers={"host": "api.example.com"})
    event["requestContext"]["stage"] = "prod"  # the stage is mapped to the domain; no prefix in rawPath
    event["requestContext"]["domainName"] = "api.example.com"
    seen = json_body(invoke(event))
    assert seen["link"] == "/users/ada"
    assert seen["external"] == "https://api.example.com/users/ada"


def test_the_stage_root_serves_the_app_root(invoke: Invoke) -> None:
    seen = json_body(invoke(http_event(raw_path="/echo", stage="prod")))
    assert (seen["script_root"], seen["path"]) == ("/prod", "/echo")


def test_configured_base_path_is_moved_to_script_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_SECRET_KEY", "k" * 32)
    adapter = Adapter(app_for_blueprint(sample_routes.routes, sample_routes.__name__), base_path="api/")
    seen = json_body(dict(adapter(http_event(raw_path="/api/users/ada"), lambda_context())))
    assert seen["link"] == "/api/users/ada"
    # A path without the base path still routes as it is.
    seen = json_body(dict(adapter(http_event(raw_path="/users/ada"), lambda_context())))
    assert seen["link"] == "/users/ada"


def test_stage_and_base_path_together(monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = Adapter(app_for_blueprint(sample_routes.routes, sample_routes.__name__), base_path="/api")
    seen = json_body(dict(adapter(http_event(raw_path="/api/users/ada", stage="v1"), lambda_context())))
    assert seen["link"] == "/v1/api/users/ada"


def test_http_api_custom_domain_mapping_key_is_put_back_for_url_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind a custom domain, HTTP API's rawPath lacks the API mapping key; routes match without it."""
    adapter = Adapter(app_for_blueprint(sample_routes.routes, sample_routes.__name__), base_path="/v1")
    event = http_event(raw_path="/users/ada", headers={"host": "api.example.com"})
    event["requestContext"]["domainName"] = "api.example.com"
    seen = json_body(dict(adapter(event, lambda_context())))
    assert (seen["name"], seen["link"]) == ("ada", "/v1/users/ada")
    assert seen["external"] == "https://api.example.com/v1/users/ada"
    # On the API's own domain there is no mapping: nothing is added.
    seen = json_body(dict(adapter(http_event(raw_path="/users/ada"), lambda_context())))
    assert seen["link"] == "/users/ada"


def test_behind_a_custom_domain_a_first_segment_named_like_the_stage_is_the_apps(invoke: Invoke) -> None:
    event = http_event(raw_path="/echo/x", headers={"host": "api.example.com"})
    event["requestContext"]["stage"] = "echo"
    event["requestContext"]["domainName"] = "api.example.com"
    seen = json_body(invoke(event))
    assert (seen["script_root"], seen["path"], seen["rest"]) == ("", "/echo/x", "x")


def test_v2_result_shape(invoke: Invoke) -> None:
    result = invoke(http_event(raw_path="/cookies"))
    assert set(result) == {"statusCode", "headers", "cookies", "body", "isBase64Encoded"}
    assert result["statusCode"] == 200
    assert isinstance(result["statusCode"], int)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in result["headers"].items())


def test_every_set_cookie_goes_to_the_cookies_list_with_its_attributes(invoke: Invoke) -> None:
    result = invoke(http_event(raw_path="/cookies"))
    assert result["cookies"] == [
        "session_id=abc; Secure; HttpOnly; Path=/; SameSite=Lax",
        result["cookies"][1],
    ]
    assert result["cookies"][1].startswith("theme=dark; Expires=")
    assert "Max-Age=3600" in result["cookies"][1]
    assert not any(name.lower() == "set-cookie" for name in result["headers"])


def test_repeated_headers_are_comma_joined_not_dropped(invoke: Invoke) -> None:
    assert invoke(http_event(raw_path="/cookies"))["headers"]["X-Multi"] == "a, b"


def test_function_url_result(adapter: Adapter) -> None:
    event = load_event("function_url")
    event["rawPath"] = "/cookies"
    event["requestContext"]["http"]["method"] = "GET"
    result: dict[str, Any] = dict(adapter(event, lambda_context()))
    assert result["statusCode"] == 200
    assert len(result["cookies"]) == 2


def test_cookies_array_becomes_one_cookie_header(invoke: Invoke) -> None:
    seen = echo(invoke, raw_path="/echo", cookies=["a=1", 'b="two words"', "c=%C3%A9"])
    assert seen["environ"]["HTTP_COOKIE"] == 'a=1; b="two words"; c=%C3%A9'
    assert seen["cookies"] == {"a": "1", "b": "two words", "c": "%C3%A9"}


@pytest.mark.parametrize("fixture", ["http_api_v2", "function_url"])
def test_unescaped_non_ascii_in_the_query_reaches_the_view_as_text(adapter: Adapter, fixture: str) -> None:
    event = load_event(fixture)
    event["rawPath"], event["rawQueryString"] = "/echo", "q=日本&r=é"
    event["requestContext"]["http"]["method"] = "GET"
    seen = json_body(dict(adapter(event, lambda_context())))
    assert seen["args"] == {"q": ["日本"], "r": ["é"]}
