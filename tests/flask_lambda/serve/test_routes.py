"""serve's routing: the route an HTTP API would pick for a request, its parameters, or its 404."""

from __future__ import annotations

import pytest

from flask_lambda.serve.routes import RouteMatch, RouteTable

USERS = RouteTable(
    (
        "GET /users",
        "POST /users",
        "GET /users/{proxy+}",
        "PATCH /users/{proxy+}",
        "DELETE /users/{proxy+}",
        "GET /openapi.json",
    )
)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/users", RouteMatch("GET /users", {})),
        ("POST", "/users", RouteMatch("POST /users", {})),
        ("GET", "/users/42", RouteMatch("GET /users/{proxy+}", {"proxy": "42"})),
        ("GET", "/users/42/avatar", RouteMatch("GET /users/{proxy+}", {"proxy": "42/avatar"})),
        ("DELETE", "/users/a%20b", RouteMatch("DELETE /users/{proxy+}", {"proxy": "a b"})),
        ("GET", "/openapi.json", RouteMatch("GET /openapi.json", {})),
        ("PUT", "/users", None),
        ("GET", "/", None),
        ("GET", "/users2", None),
        ("POST", "/users/42", None),
    ],
)
def test_the_users_api_routes(method: str, path: str, expected: RouteMatch | None) -> None:
    assert USERS.match(method, path) == expected


def test_a_greedy_variable_takes_at_least_one_segment() -> None:
    table = RouteTable(("GET /files/{path+}",))
    assert table.match("GET", "/files") is None
    assert table.match("GET", "/files/") is None
    assert table.match("GET", "/files/a/b.txt") == RouteMatch("GET /files/{path+}", {"path": "a/b.txt"})


def test_the_most_specific_route_wins() -> None:
    table = RouteTable(("ANY /items/{id}", "GET /items/{id}", "GET /items/new", "GET /items/{rest+}", "$default"))
    assert table.match("GET", "/items/new") == RouteMatch("GET /items/new", {})
    assert table.match("GET", "/items/7") == RouteMatch("GET /items/{id}", {"id": "7"})
    assert table.match("PUT", "/items/7") == RouteMatch("ANY /items/{id}", {"id": "7"})
    assert table.match("GET", "/items/7/parts") == RouteMatch("GET /items/{rest+}", {"rest": "7/parts"})
    assert table.match("GET", "/elsewhere") == RouteMatch("$default", {})


def test_default_alone_sends_everything() -> None:
    table = RouteTable(("$default",))
    assert table.match("DELETE", "/any/path") == RouteMatch("$default", {})
    assert table.first_get_path() is None


def test_the_root_route() -> None:
    table = RouteTable(("GET /",))
    assert table.match("GET", "/") == RouteMatch("GET /", {})
    assert table.match("GET", "/x") is None
    assert table.first_get_path() == "/"


def test_the_path_to_try_is_the_first_plain_get() -> None:
    assert USERS.first_get_path() == "/users"
