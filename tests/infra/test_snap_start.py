"""SnapStart from Terraform, in real `terraform plan` runs offline: off by default, on for published versions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.terraform import Offline

ON = [{"apply_on": "PublishedVersions"}]


def _function(plan: dict[str, Any]) -> dict[str, Any]:
    (change,) = [item["change"] for item in plan["resource_changes"] if item["address"] == "aws_lambda_function.api"]
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
    function = _function(offline.plan(*options))
    assert function["snap_start"] == snap_start
    assert function["publish"] is True  # SnapStart applies to published versions, which the live alias serves
    # The environment holds a key unknown until apply, so the one setting is read from the configuration itself.
    assert offline.evaluate('local.function_environment["LAMBDA_WSGI_PRIME_PATH"]', *options) == prime_path


@pytest.mark.parametrize("path", ["health", "", "none"])
def test_a_prime_path_that_is_not_a_path_is_refused(offline: Offline, path: str) -> None:
    refusal = offline.refusal("-var=snap_start=true", f"-var=snapstart_prime_path={path}")
    assert "snapstart_prime_path must be a path starting with /" in refusal
