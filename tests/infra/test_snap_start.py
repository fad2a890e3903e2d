"""SnapStart from Terraform, in real `terraform plan` runs offline: off by default, on for published versions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.terraform import Offline

ON = [{"apply_on": "PublishedVersions"}]
FUNCTION = "module.function.aws_lambda_function.this"
# A key of our own: the generated one is unknown until apply, and would leave the whole environment unknown.
PAGE_TOKEN_KEY = "-var=page_token_key=" + "k" * 32


def _function(plan: dict[str, Any]) -> dict[str, Any]:
    (change,) = [item["change"] for item in plan["resource_changes"] if item["address"] == FUNCTION]
    after: dict[str, Any] = change["after"]
    return after


@pytest.mark.parametrize(
    ("options", "snap_start", "prime_path"),
    [
        ((), [], None),
        (("-var=snap_start=true",), ON, None),
        (("-var=snap_start=true", "-var=snapstart_prime_path=/health"), ON, "/health"),
        (("-var=snap_start=true", "-var=snapstart_prime_path=off"), ON, "off"),
        (("-var=snapstart_prime_path=/health",), [], None),  # the path means nothing without SnapStart
    ],
    ids=["default", "on", "on-with-path", "on-unprimed", "path-alone"],
)
def test_snap_start_applies_to_published_versions_when_asked(
    offline: Offline, options: tuple[str, ...], snap_start: list[Any], prime_path: str | None
) -> None:
    function = _function(offline.plan(PAGE_TOKEN_KEY, *options))
    assert function["snap_start"] == snap_start
    assert function["publish"] is True  # SnapStart applies to published versions, which the live alias serves
    (environment,) = function["environment"]
    assert environment["variables"].get("LAMBDA_WSGI_PRIME_PATH") == prime_path


@pytest.mark.parametrize("path", ["health", "", "none"])
def test_a_prime_path_that_is_not_a_path_is_refused(offline: Offline, path: str) -> None:
    refusal = offline.refusal("-var=snap_start=true", f"-var=snapstart_prime_path={path}")
    assert "snapstart_prime_path must be a path starting with /" in refusal
