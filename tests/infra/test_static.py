"""Offline checks of infra/ and its module that need no AWS: formatting, validation, the access log format and
checkov's rules.

Each fails, never skips, when its tool is missing, so a green run means the check really ran.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.infra.hcl import (
    INFRA_DIR,
    MODULE_DIR,
    all_configuration_files,
    block,
    configuration_files,
    load,
    module_files,
    references,
)
from tests.infra.terraform import AWS_PROVIDER, LOCK_FILE, PROVIDER_MIRROR, Terraform, copy_configuration

_SKIP_COMMENT = re.compile(r"checkov:skip=([A-Z0-9_]+)(?::(.*))?")
_CONTEXT_VARIABLE = re.compile(r"\$context\.[A-Za-z0-9.]+")
# The one documented variable family that takes a name, and the name used: the JWT's subject.
_JWT_CLAIM = "$context.authorizer.claims.sub"
# The variables AWS documents for HTTP API access logs, but those that take a property name
# (authorizer.claims.<name>...): docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
_DOCUMENTED_NAMES = """
accountId apiId authorizer.error authorizer.principalId awsEndpointRequestId awsEndpointRequestId2
customDomain.basePathMatched dataProcessed domainName domainPrefix error.message error.messageString
error.responseType extendedRequestId httpMethod identity.accountId identity.caller
identity.cognitoAuthenticationProvider identity.cognitoAuthenticationType identity.cognitoIdentityId
identity.cognitoIdentityPoolId identity.principalOrgId identity.clientCert.clientCertPem
identity.clientCert.subjectDN identity.clientCert.issuerDN identity.clientCert.serialNumber
identity.clientCert.validity.notBefore identity.clientCert.validity.notAfter identity.sourceIp identity.user
identity.userAgent identity.userArn integration.error integration.integrationStatus integration.latency
integration.requestId integration.status integrationErrorMessage integrationLatency integrationStatus path
protocol requestId requestTime requestTimeEpoch responseLatency responseLength routeKey stage status
"""
HTTP_API_LOG_VARIABLES = frozenset(f"$context.{name}" for name in _DOCUMENTED_NAMES.split()) | {_JWT_CLAIM}
# Each request's line says who asked what, the answer, how long it took, what went wrong between
# API Gateway and Lambda, and the Lambda request id that leads to the function's own log lines.
REQUIRED_LOG_VARIABLES = {
    "$context.requestId",
    "$context.requestTime",
    "$context.identity.sourceIp",
    "$context.httpMethod",
    "$context.path",
    "$context.routeKey",
    "$context.status",
    "$context.responseLatency",
    "$context.integrationLatency",
    "$context.integration.requestId",
    "$context.integration.status",
    "$context.integration.error",
    "$context.integrationErrorMessage",
    # Who called (AWS_IAM, JWT) and why an authorizer refused.
    "$context.identity.userArn",
    _JWT_CLAIM,
    "$context.authorizer.error",
}


def test_configuration_is_formatted(terraform: Terraform) -> None:
    result = terraform.run(ROOT, "fmt", "-check", "-recursive", "-diff", "infra", expect=(0, 3))
    assert result.returncode == 0, f"run `terraform fmt -recursive infra`:\n{result.stdout}"


def test_configuration_is_valid(terraform: Terraform, initialized_dir: Path) -> None:
    result = terraform.run(initialized_dir, "validate")
    assert "The configuration is valid" in result.stdout


def test_configuration_files_are_split_by_concern() -> None:
    # The module: the function and what serves it, one file per concern.
    names = {path.name for path in module_files()}
    expected = {"versions.tf", "variables.tf", "outputs.tf", "lambda.tf", "api.tf", "iam.tf", "logs.tf"}
    assert expected <= names, f"the module misses: {sorted(expected - names)}"
    # The deployment: the module's call, the table, the page token key and the moves from before the module.
    names = {path.name for path in configuration_files()}
    expected = {"versions.tf", "variables.tf", "outputs.tf", "main.tf", "dynamodb.tf", "page_token.tf", "moved.tf"}
    assert expected <= names, f"infra/ misses: {sorted(expected - names)}"


def _access_log_format(terraform: Terraform, workdir: Path) -> str:
    """The stage's access log format as Terraform renders it: its expression run through `terraform console`."""
    stage = load(MODULE_DIR).resource("aws_apigatewayv2_stage", "this")
    expression = str(block(stage, "access_log_settings")["format"])
    assert expression.startswith("${"), expression
    assert expression.endswith("}"), expression
    assert not references(expression), f"the format should depend on nothing: {expression}"
    # base64 keeps the console's string quoting out of the way.
    result = terraform.run(workdir, "console", stdin=f"base64encode({expression[2:-1]})\n")
    return base64.b64decode(json.loads(result.stdout.strip())).decode()


def test_access_log_format_is_json_with_the_lambda_request_id(terraform: Terraform, tmp_path: Path) -> None:
    rendered = _access_log_format(terraform, tmp_path)
    fields = json.loads(rendered)
    assert all(_CONTEXT_VARIABLE.fullmatch(value) for value in fields.values()), f"one variable per field: {fields}"
    used = set(fields.values())
    assert used <= HTTP_API_LOG_VARIABLES, f"not HTTP API access log variables: {used - HTTP_API_LOG_VARIABLES}"
    assert used >= REQUIRED_LOG_VARIABLES, f"missing: {REQUIRED_LOG_VARIABLES - used}"
    # What API Gateway writes in place of the variables: "-" for a value it lacks, ids, times, numbers.
    for sample in ("-", "1b4f0a2e-58cd-4b1e-9a52-0d6f3c1e7a90", "12/Mar/2025:10:15:42 +0000", "200"):
        assert json.loads(_CONTEXT_VARIABLE.sub(sample, rendered)) == dict.fromkeys(fields, sample)
    # The access_log_group outputs' descriptions (the module's and the deployment's) name the field that holds the
    # Lambda request id.
    assert fields["integrationRequestId"] == "$context.integration.requestId"
    for config in (load(), load(MODULE_DIR)):
        assert "integrationRequestId" in config.outputs["access_log_group"]["description"]


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
    """(file, check id, reason) of every inline checkov skip in infra/ and its module."""
    found = []
    for path in all_configuration_files():
        for match in _SKIP_COMMENT.finditer(path.read_text(encoding="utf-8")):
            found.append((str(path.relative_to(INFRA_DIR)), match.group(1), (match.group(2) or "").strip()))
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

    # checkov follows the module's call, so the module's resources are checked as the deployment configures them.
    # The routes require authorization as configured by default (AWS_IAM): the check passes, with no skip.
    passed = {
        (check["check_id"], check["resource"])
        for report in terraform_reports
        for check in report["results"].get("passed_checks", [])
    }
    route_checks = {resource for check_id, resource in passed if check_id == "CKV_AWS_309"}
    assert route_checks, "checkov did not check the routes' authorization (CKV_AWS_309)"
    assert all(resource.startswith("module.function.aws_apigatewayv2_route.this[") for resource in route_checks), (
        route_checks
    )
    assert "CKV_AWS_309" not in {check_id for _, check_id, _ in comments}


def _lock_entries(text: str) -> dict[str, tuple[str, str, set[str]]]:
    """provider address: (version, constraints, hashes) of a .terraform.lock.hcl."""
    entries = {}
    for match in re.finditer(r'provider "([^"]+)" \{(.*?)\n\}', text, re.DOTALL):
        body = match.group(2)
        version = re.search(r'version\s*=\s*"([^"]+)"', body)
        constraints = re.search(r'constraints\s*=\s*"([^"]+)"', body)
        assert version, body
        hashes = set(re.findall(r'"((?:h1|zh):[^"]+)"', body))
        entries[match.group(1)] = (version.group(1), constraints.group(1) if constraints else "", hashes)
    return entries


def test_lock_file_pins_the_provider(terraform: Terraform, initialized_dir: Path, tmp_path: Path) -> None:
    """infra/.terraform.lock.hcl: hashicorp/aws 5.100.0 within versions.tf's constraint (the module's is the same),
    with the checksums of the packages in the local mirror (when there is one) as `terraform providers lock` computes
    them."""
    (entry,) = _lock_entries(LOCK_FILE.read_text(encoding="utf-8")).items()
    address, (version, constraints, hashes) = entry
    assert address == AWS_PROVIDER
    assert version == "5.100.0"
    for versions_tf in (INFRA_DIR / "versions.tf", MODULE_DIR / "versions.tf"):
        text = versions_tf.read_text(encoding="utf-8")
        required = re.search(r'aws = \{.*?version\s*=\s*"([^"]+)"', text, re.DOTALL)
        assert required, f"{versions_tf.relative_to(INFRA_DIR)} has no version constraint for aws"
        assert constraints == required.group(1), versions_tf.relative_to(INFRA_DIR)
    assert hashes, "no checksums"
    if not PROVIDER_MIRROR.is_dir():
        return  # the registry's packages are checked against the lock file by `terraform init`
    # A filesystem mirror holds unpacked folders (<version>/<os>_<arch>/) or packed zips.
    provider_dir = PROVIDER_MIRROR / AWS_PROVIDER
    platforms = {path.name for path in (provider_dir / version).glob("*_*") if path.is_dir()}
    platforms |= {
        match.group(1)
        for path in provider_dir.glob(f"terraform-provider-aws_{version}_*.zip")
        if (match := re.fullmatch(rf"terraform-provider-aws_{re.escape(version)}_(\w+_\w+)\.zip", path.name))
    }
    assert platforms, f"{provider_dir} holds no package of {version}"
    copy = copy_configuration(tmp_path / "infra")
    (copy / LOCK_FILE.name).unlink()
    options = [f"-platform={platform}" for platform in sorted(platforms)]
    # The session's initialised folder knows where the module is.
    runner = terraform.with_env(TF_DATA_DIR=str(initialized_dir / ".terraform"))
    runner.run(copy, "providers lock", f"-fs-mirror={PROVIDER_MIRROR}", *options)
    (mirror_entry,) = _lock_entries((copy / ".terraform.lock.hcl").read_text(encoding="utf-8")).values()
    assert mirror_entry[0] == version
    assert mirror_entry[2] <= hashes, f"the committed lock file lacks the mirror's checksums {mirror_entry[2] - hashes}"
