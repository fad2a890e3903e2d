"""Stages and base paths: the prefix moves to SCRIPT_NAME, so routes match and url_for keeps it."""

from __future__ import annotations

import pytest

from lambda_wsgi import Adapter
from lambda_wsgi.app_loader import app_for_blueprint
from lambda_wsgi.paths import clean_prefix, split_prefix
from tests.conftest import http_event, lambda_context, load_event
from tests.layer import sample_routes
from tests.layer.conftest import Invoke, json_body


def test_named_stage_moves_to_script_name_and_into_url_for(invoke: Invoke) -> None:
    result = invoke(http_event(path="/users/ada", stage="prod"))
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
    assert json_body(invoke(http_event(path="/users/ada")))["link"] == "/users/ada"


def test_custom_domain_without_the_prefix_routes_unchanged(invoke: Invoke) -> None:
    event = http_event(path="/users/ada", headers={"host": "api.example.com"})
    event["requestContext"]["stage"] = "prod"  # the stage is mapped to the domain; no prefix in rawPath
    event["requestContext"]["domainName"] = "api.example.com"
    seen = json_body(invoke(event))
    assert seen["link"] == "/users/ada"
    assert seen["external"] == "https://api.example.com/users/ada"


def test_the_stage_root_serves_the_app_root(invoke: Invoke) -> None:
    seen = json_body(invoke(http_event(path="/echo", stage="prod")))
    assert (seen["script_root"], seen["path"]) == ("/prod", "/echo")


def test_configured_base_path_is_moved_to_script_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_SECRET_KEY", "k" * 32)
    adapter = Adapter(app_for_blueprint(sample_routes.routes, sample_routes.__name__), base_path="api/")
    seen = json_body(dict(adapter(http_event(path="/api/users/ada"), lambda_context())))
    assert seen["link"] == "/api/users/ada"
    # A path without the base path still routes as it is.
    seen = json_body(dict(adapter(http_event(path="/users/ada"), lambda_context())))
    assert seen["link"] == "/users/ada"


def test_stage_and_base_path_together(monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = Adapter(app_for_blueprint(sample_routes.routes, sample_routes.__name__), base_path="/api")
    seen = json_body(dict(adapter(http_event(path="/api/users/ada", stage="v1"), lambda_context())))
    assert seen["link"] == "/v1/api/users/ada"


def test_rest_api_stage_comes_from_the_full_request_path(invoke: Invoke) -> None:
    event = load_event("rest_api_v1")
    event["path"] = "/users/ada"
    event["requestContext"]["path"] = "/Prod/users/ada"
    assert json_body(invoke(event))["link"] == "/Prod/users/ada"


def test_rest_api_custom_domain_base_path_mapping_needs_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind a custom domain REST APIs keep the mapping in `path`; the base path setting moves it."""
    event = load_event("rest_api_v1")
    event["path"] = event["requestContext"]["path"] = "/mapping/users/ada"
    event["requestContext"]["domainName"] = event["headers"]["Host"] = "api.example.com"
    adapter = Adapter(app_for_blueprint(sample_routes.routes, sample_routes.__name__), base_path="/mapping")
    assert json_body(dict(adapter(event, lambda_context())))["link"] == "/mapping/users/ada"


def test_http_api_custom_domain_mapping_key_is_put_back_for_url_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind a custom domain, HTTP API's rawPath lacks the API mapping key; routes match without it."""
    adapter = Adapter(app_for_blueprint(sample_routes.routes, sample_routes.__name__), base_path="/v1")
    event = http_event(path="/users/ada", headers={"host": "api.example.com"})
    event["requestContext"]["domainName"] = "api.example.com"
    seen = json_body(dict(adapter(event, lambda_context())))
    assert (seen["name"], seen["link"]) == ("ada", "/v1/users/ada")
    assert seen["external"] == "https://api.example.com/v1/users/ada"
    # On the API's own domain there is no mapping: nothing is added.
    seen = json_body(dict(adapter(http_event(path="/users/ada"), lambda_context())))
    assert seen["link"] == "/users/ada"


def test_http_api_v1_on_a_named_stage_strips_the_stage_from_path(invoke: Invoke) -> None:
    event = load_event("http_api_v1")
    event["httpMethod"] = "GET"
    event["path"] = event["requestContext"]["path"] = "/beta/users/ada"
    event["requestContext"]["stage"] = "beta"
    assert json_body(invoke(event))["link"] == "/beta/users/ada"


@pytest.mark.parametrize(
    ("path", "prefixes", "expected"),
    [
        ("/prod/users", ("/prod",), ("/prod", "/users")),
        ("/prod", ("/prod",), ("/prod", "")),
        ("/production/users", ("/prod",), ("", "/production/users")),
        ("/users", ("", ""), ("", "/users")),
        ("", ("",), ("", "/")),
        ("/v1/api/x", ("/v1", "/api"), ("/v1/api", "/x")),
    ],
)
def test_split_prefix_matches_whole_segments_only(
    path: str, prefixes: tuple[str, ...], expected: tuple[str, str]
) -> None:
    assert split_prefix(path, prefixes) == expected


@pytest.mark.parametrize(
    ("configured", "expected"), [(None, ""), ("", ""), ("/", ""), ("api", "/api"), ("/api/", "/api")]
)
def test_base_path_setting_is_normalised(configured: str | None, expected: str) -> None:
    assert clean_prefix(configured) == expected


def test_behind_a_custom_domain_a_first_segment_named_like_the_stage_is_the_apps(invoke: Invoke) -> None:
    event = http_event(path="/echo/x", headers={"host": "api.example.com"})
    event["requestContext"]["stage"] = "echo"
    event["requestContext"]["domainName"] = "api.example.com"
    seen = json_body(invoke(event))
    assert (seen["script_root"], seen["path"], seen["rest"]) == ("", "/echo/x", "x")
