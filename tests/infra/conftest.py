"""Fixtures for the infra/ checks: Terraform initialised once per session, an offline copy to plan, the real zips.

Every Terraform command but `fmt -check` runs on a copy of infra/ in a temporary folder, so the tests never write
into the repository (no .terraform/ or state there, and the committed lock file is only read).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.infra.terraform import (
    OFFLINE_PROVIDER,
    OFFLINE_PROVIDER_OVERRIDE,
    Offline,
    Terraform,
    cli_config,
    copy_configuration,
    copy_module,
    find_binary,
)

PACKAGE_DIR = ROOT / "flask_lambda" / "package"


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Terraform:
    binary = find_binary()
    config_file = tmp_path_factory.mktemp("terraform-cli") / "terraform.rc"
    config_file.write_text(cli_config())
    return Terraform(binary, config_file)


@pytest.fixture(scope="session")
def initialized_dir(terraform: Terraform, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of infra/ after `terraform init -backend=false`: the providers other copies reuse.

    -lockfile=readonly: the committed lock file alone must do, so a provider that does not match it fails here.
    """
    workdir = copy_configuration(tmp_path_factory.mktemp("infra-init"))
    terraform.run(workdir, "init", "-backend=false", "-input=false", "-lockfile=readonly", timeout=300)
    return workdir


@pytest.fixture(scope="session")
def offline(terraform: Terraform, initialized_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Offline:
    """A copy of infra/ that plans without AWS: no state, a provider that never calls out, stand-in zips."""
    workdir = copy_configuration(tmp_path_factory.mktemp("infra-offline"))
    (workdir / "provider_override.tf").write_text(OFFLINE_PROVIDER_OVERRIDE)
    # Plans only hash the archives; the real ones take minutes to build.
    stand_in = workdir / "stand-in.zip"
    stand_in.write_bytes(b"not a real archive")
    runner = terraform.with_env(TF_DATA_DIR=str(initialized_dir / ".terraform"))
    return Offline(runner, workdir, (f"-var=layer_zip={stand_in}", f"-var=function_zip={stand_in}"))


@pytest.fixture(scope="session")
def offline_module(terraform: Terraform, tmp_path_factory: pytest.TempPathFactory) -> Offline:
    """The module alone as a root module, planned without AWS: its required variables set (a function named hello,
    stand-in zips), the rest at their defaults. `terraform console` there reaches the module's own locals."""
    workdir = copy_module(tmp_path_factory.mktemp("module-offline"))
    (workdir / "provider.tf").write_text(OFFLINE_PROVIDER)
    stand_in = workdir / "stand-in.zip"
    stand_in.write_bytes(b"not a real archive")
    terraform.run(workdir, "init", "-backend=false", "-input=false", timeout=300)
    options = ("-var=name=hello", f"-var=layer_zip={stand_in}", f"-var=function_zip={stand_in}")
    return Offline(terraform, workdir, options)


@pytest.fixture(scope="session")
def lambda_zips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """dist/layer.zip and dist/function.zip as `./build.sh package` builds them, in a temporary folder."""
    if not (PACKAGE_DIR / "__main__.py").is_file():
        pytest.fail(f"{PACKAGE_DIR.relative_to(ROOT)}/ is missing: the deploy checks need the real zips")
    out_dir = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "flask_lambda.package", "--function-dir", str(ROOT / "api"), "--out-dir", str(out_dir)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'python-lambda-layer'}"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"packaging failed:\n{result.stdout}\n{result.stderr}"
    layer, function = out_dir / "layer.zip", out_dir / "function.zip"
    assert layer.is_file(), result.stdout
    assert function.is_file(), result.stdout
    return layer, function
