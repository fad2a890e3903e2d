"""An existing deployment of infra/ from before the module is upgraded in place: the moved blocks (infra/moved.tf)
take every resource to its new address, and nothing is destroyed, replaced or created again.

tests/infra/data/infra_before_module/ holds the *.tf files of infra/ as they were before the function, its API, role
and log groups moved into modules/flask-function (copied from the commit before that change, so the test needs no
git history). They are applied to a moto server; the current infra/ then plans against that state.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.infra.hcl import INFRA_DIR, MODULE_DIR, configuration_files, load
from tests.infra.moto import MOTO_GAPS_OVERRIDE, Moto, moto_server, provider_configuration
from tests.infra.terraform import LOCK_FILE, Terraform, copy_configuration

pytestmark = pytest.mark.slow

BEFORE_DIR = Path(__file__).resolve().parent / "data" / "infra_before_module"
# Settings other than the defaults, so the optional parts (CORS, reserved concurrency...) exist before the upgrade.
VARIABLES: dict[str, Any] = {
    "name_prefix": "upgrade-check",
    "table_deletion_protection": False,
    "cors_allow_origins": ["https://app.example.com"],
    "reserved_concurrency": 5,
    "log_retention_days": 7,
    "tags": {"Purpose": "upgrade-check"},
}
# What the upgrade changes in place, and why: descriptions that no longer name the users API in the module's text.
IN_PLACE_UPDATES = {
    # "Users API (Flask on Lambda)" becomes the function's description, which the API now shares.
    "module.function.aws_apigatewayv2_api.this": {"description"},
    # "Runs <function>: its own logs, X-Ray traces and the users table" becomes the module's generic wording.
    "module.function.aws_iam_role.this": {"description"},
    # The statement id InvokeUsersApiRoutes becomes InvokeApiRoutes.
    "module.function.aws_iam_policy.invoke[0]": {"policy"},
}
# What the same upgrade brings beyond the move: the table's TTL removes tombstones, and the function learns who
# may change users (USERS_TRUSTED_CALLERS, USERS_ADMIN_SCOPE), so a new version is published and goes live.
FEATURE_UPDATES = {
    "aws_dynamodb_table.users": {"ttl"},
    "module.function.aws_lambda_function.this": {"environment", "qualified_arn", "qualified_invoke_arn", "version"},
    "module.function.aws_lambda_alias.this": {"function_version"},
}
# The outputs that name the version the alias serves, the one thing the new environment changes.
VERSION_OUTPUTS = {"live_version", "published_version"}


@dataclass
class Upgrade:
    terraform: Terraform
    workdir: Path
    before: set[str]
    plan: dict[str, Any]
    outputs_before: dict[str, Any]


def _changed_attributes(change: dict[str, Any]) -> set[str]:
    before, after = change["before"] or {}, change["after"] or {}
    unknown = change.get("after_unknown") or {}
    return {key for key in {*before, *after} if before.get(key) != after.get(key) or unknown.get(key) is True}


def _outputs(terraform: Terraform, workdir: Path) -> dict[str, Any]:
    shown = json.loads(terraform.run(workdir, "output", "-json").stdout)
    return {name: value["value"] for name, value in shown.items()}


@pytest.fixture(scope="module")
def moto() -> Iterator[Moto]:
    with moto_server() as server:
        yield server


@pytest.fixture(scope="module")
def upgrade(
    terraform: Terraform, lambda_zips: tuple[Path, Path], moto: Moto, tmp_path_factory: pytest.TempPathFactory
) -> Upgrade:
    workdir = tmp_path_factory.mktemp("infra-upgrade")
    for path in sorted(BEFORE_DIR.glob("*.tf")):
        shutil.copy2(path, workdir / path.name)
    shutil.copy2(LOCK_FILE, workdir / LOCK_FILE.name)
    (workdir / "provider_override.tf").write_text(provider_configuration(moto.endpoint))
    # The function's address before the module.
    (workdir / "moto_gaps_override.tf").write_text(MOTO_GAPS_OVERRIDE.replace('"this"', '"api"'))
    layer_zip, function_zip = lambda_zips
    variables = {**VARIABLES, "layer_zip": str(layer_zip), "function_zip": str(function_zip)}
    (workdir / "terraform.tfvars.json").write_text(json.dumps(variables, indent=2))
    terraform.run(workdir, "init", "-backend=false", "-input=false", "-lockfile=readonly")
    terraform.run(workdir, "apply", "-auto-approve", "-input=false")
    # Route addresses hold a space ("GET /users"): one address a line. Data sources are read anew, never moved.
    listed = terraform.run(workdir, "state list").stdout.splitlines()
    before = {address for address in listed if not address.startswith("data.")}
    outputs_before = _outputs(terraform, workdir)

    # The same folder, state and variables with today's configuration.
    for path in workdir.glob("*.tf"):
        path.unlink()
    copy_configuration(workdir)
    (workdir / "provider_override.tf").write_text(provider_configuration(moto.endpoint))
    (workdir / MODULE_DIR.relative_to(INFRA_DIR) / "moto_gaps_override.tf").write_text(MOTO_GAPS_OVERRIDE)
    terraform.run(workdir, "init", "-backend=false", "-input=false", "-lockfile=readonly")
    terraform.run(workdir, "plan", "-input=false", "-out=upgrade.tfplan")
    plan = json.loads(terraform.run(workdir, "show", "-json", "upgrade.tfplan").stdout)
    return Upgrade(terraform, workdir, before, plan, outputs_before)


def test_the_configuration_before_is_the_one_of_the_last_release() -> None:
    """The copy holds the resources that were in infra/ itself, which moved.tf moves."""
    before = load(BEFORE_DIR)
    assert "aws_lambda_function" in before.resources
    assert not before.modules
    assert {path.name for path in configuration_files(BEFORE_DIR)} >= {"lambda.tf", "api.tf", "iam.tf"}


def test_every_moved_resource_of_the_old_configuration_has_a_moved_block() -> None:
    before = load(BEFORE_DIR)
    old = {f"{kind}.{name}" for kind, named in before.resources.items() for name in named}
    moved = {str(entry["from"]).strip("${}"): str(entry["to"]).strip("${}") for entry in load().moved}
    kept = {f"{kind}.{name}" for kind, named in load().resources.items() for name in named}
    assert old - kept == set(moved), "each resource that left infra/ needs a moved block, and no other"
    module = load(MODULE_DIR)
    targets = {f"module.function.{kind}.{name}" for kind, named in module.resources.items() for name in named}
    for source, target in moved.items():
        assert target.split("[")[0] in targets, f"{source} moves to {target}, which the module does not have"
        assert source.split(".")[0] == target.split(".")[2], f"{source} must stay a {source.split('.')[0]}"


def test_upgrade_destroys_replaces_and_creates_nothing(upgrade: Upgrade) -> None:
    changes = upgrade.plan["resource_changes"]
    managed = [change for change in changes if change["mode"] == "managed"]
    unexpected = {
        change["address"]: change["change"]["actions"]
        for change in managed
        if set(change["change"]["actions"]) - {"no-op", "update"}
    }
    assert not unexpected, f"the upgrade would destroy, replace or create: {unexpected}"
    # Every resource of the deployment is still there, at its new address where it moved.
    previous = {change.get("previous_address") or change["address"] for change in managed}
    assert previous == upgrade.before
    moved = {change["previous_address"]: change["address"] for change in managed if change.get("previous_address")}
    assert moved, "nothing moved"
    assert all(address.startswith("module.function.") for address in moved.values())


def test_upgrade_updates_only_descriptions_in_place(upgrade: Upgrade) -> None:
    updated = {
        change["address"]: _changed_attributes(change["change"])
        for change in upgrade.plan["resource_changes"]
        if change["mode"] == "managed" and change["change"]["actions"] == ["update"]
    }
    assert updated == IN_PLACE_UPDATES | FEATURE_UPDATES
    # Everything else is untouched: the layer, the log groups, the page-token key, the routes.
    for change in upgrade.plan["resource_changes"]:
        if change["mode"] == "managed" and change["address"] not in updated:
            assert change["change"]["actions"] == ["no-op"], change["address"]


def test_after_the_upgrade_the_outputs_are_the_same_and_nothing_is_left_to_change(upgrade: Upgrade) -> None:
    terraform, workdir = upgrade.terraform, upgrade.workdir
    terraform.run(workdir, "apply", "-input=false", "upgrade.tfplan")
    again = terraform.run(workdir, "plan", "-input=false", "-detailed-exitcode", expect=(0, 2))
    assert again.returncode == 0, f"the plan after the upgrade wants changes:\n{again.stdout[-4000:]}"
    outputs = _outputs(terraform, workdir)
    # The outputs of the configuration before keep their names and values; role_name is new.
    changed = {name for name, value in upgrade.outputs_before.items() if outputs[name] != value}
    assert changed <= VERSION_OUTPUTS, changed
    # The new environment is published as version 2, which the alias now serves.
    assert outputs["published_version"] == outputs["live_version"] == "2"
