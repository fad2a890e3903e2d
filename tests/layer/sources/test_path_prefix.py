"""API Gateway's path rules: prefixes move into SCRIPT_NAME as whole segments; a base path is normalised."""

from __future__ import annotations

import pytest

from lambda_wsgi.sources.path_prefix import clean_prefix, split_prefix


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
