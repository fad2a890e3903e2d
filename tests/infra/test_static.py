"""Offline checks of infra/ that need no AWS: formatting, validation and checkov's security rules.

Each fails, never skips, when its tool is missing, so a green run means the check really ran.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.infra.hcl import INFRA_DIR, configuration_files
from tests.infra.terraform import Terraform

_SKIP_COMMENT = re.compile(r"checkov:skip=([A-Z0-9_]+)(?::(.*))?")


def test_configuration_is_formatted(terraform: Terraform) -> None:
    result = terraform.run(ROOT, "fmt", "-check", "-recursive", "-diff", "infra", expect=(0, 3))
    assert result.returncode == 0, f"run `terraform fmt -recursive infra`:\n{result.stdout}"


def test_configuration_is_valid(terraform: Terraform, initialized_dir: Path) -> None:
    result = terraform.run(initialized_dir, "validate")
    assert "The configuration is valid" in result.stdout


def test_configuration_files_are_split_by_concern() -> None:
    names = {path.name for path in configuration_files()}
    expected = {"versions.tf", "variables.tf", "dynamodb.tf", "iam.tf", "lambda.tf", "api.tf", "outputs.tf"}
    assert expected <= names, f"missing: {sorted(expected - names)}"


def _checkov() -> str:
    candidate = os.environ.get("CHECKOV") or str(ROOT / ".venv-checkov" / "bin" / "checkov")
    if not Path(candidate).is_file():
        pytest.fail(
            f"checkov is not installed ({candidate}): ./build.sh test creates .venv-checkov from "
            "requirements/checkov.txt, or set CHECKOV to a checkov executable",
            pytrace=False,
        )
    return candidate


def _skip_comments() -> list[tuple[str, str, str]]:
    """(file, check id, reason) of every inline checkov skip in infra/."""
    found = []
    for path in configuration_files():
        for match in _SKIP_COMMENT.finditer(path.read_text(encoding="utf-8")):
            found.append((path.name, match.group(1), (match.group(2) or "").strip()))
    return found


def test_checkov_finds_no_failed_check() -> None:
    result = subprocess.run(
        [_checkov(), "-d", str(INFRA_DIR.relative_to(ROOT)), "--skip-download", "--output", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        parsed: Any = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov did not report JSON (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    reports = parsed if isinstance(parsed, list) else [parsed]
    terraform_reports = [report for report in reports if report.get("check_type") == "terraform"]
    assert terraform_reports, f"checkov did not scan any Terraform: {[r.get('check_type') for r in reports]}"

    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']}): {check['check_name']}"
        for report in reports
        for check in report["results"].get("failed_checks", [])
    ]
    assert not failed, "checkov failed checks (fix them or skip inline with a reason):\n" + "\n".join(failed)
    summary = terraform_reports[0]["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 0
    assert result.returncode == 0, result.stderr

    skipped = {
        (check["check_id"], check["check_result"].get("suppress_comment", ""))
        for report in terraform_reports
        for check in report["results"].get("skipped_checks", [])
    }
    comments = _skip_comments()
    for file, check_id, reason in comments:
        assert len(reason) >= 20, f"{file}: the skip of {check_id} needs a reason after the colon"
        assert (check_id, reason) in skipped, f"{file}: the skip of {check_id} matches no check (stale?)"
    assert {check_id for check_id, _ in skipped} == {check_id for _, check_id, _ in comments}
