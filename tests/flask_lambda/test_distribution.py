"""flask-lambda as users get it: the wheel installed into a fresh virtualenv, used from folders outside the repository.

Nothing of the repository is on the path of what runs here: the command, the layer it builds, the runtime and the
embedded DynamoDB it sets up come from the wheel and the cache folder it makes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from flask_lambda.serve.background import BackgroundServe
from tests.conftest import API_DIR, ROOT
from tests.infra.moto import MOTO_GAPS_OVERRIDE, moto_server, provider_configuration
from tests.infra.terraform import Terraform, cli_config, find_binary

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Installed:
    """A virtualenv with only the wheel (and what it depends on) installed, and the environment to run it with."""

    bin: Path
    env: dict[str, str]

    def run(self, *args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "flask-lambda"), *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def serve(self, folder: Path) -> BackgroundServe:
        return BackgroundServe([], command=[str(self.bin / "flask-lambda"), "serve"], env=self.env, cwd=folder)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("distribution")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(work / "wheel"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "wheel").glob("flask_lambda-*.whl")
    venv.EnvBuilder(with_pip=True).create(work / "venv")
    bin_dir = work / "venv" / "bin"
    pip = [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)]
    installing = subprocess.run(pip, capture_output=True, text=True, timeout=600, check=False)
    assert installing.returncode == 0, installing.stderr
    env = {name: value for name, value in os.environ.items() if not name.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    # A cache of this run's own: the runtime and DynamoDB virtualenvs are made from the wheel's pins, as a user's are.
    env["FLASK_LAMBDA_CACHE"] = str(work / "cache")
    return Installed(bin_dir, env)


@pytest.fixture(scope="module")
def project(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("user") / "hello-site"
    created = installed.run("new", str(folder), cwd=folder.parent)
    assert created.returncode == 0, created.stderr
    assert "Created hello-site" in created.stdout
    return folder


def test_the_command_has_its_subcommands_and_their_help(installed: Installed, tmp_path: Path) -> None:
    listed = installed.run("--help", cwd=tmp_path)
    assert listed.returncode == 0
    for command in ("new", "serve", "invoke", "package"):
        assert f"  {command} " in listed.stdout
        helped = installed.run(command, "--help", cwd=tmp_path)
        assert helped.returncode == 0, helped.stderr
        assert helped.stdout.startswith(f"usage: flask-lambda {command}")
    assert installed.run("--version", cwd=tmp_path).stdout.startswith("flask-lambda ")
    refused = installed.run("deploy", cwd=tmp_path)
    assert (refused.returncode, "unknown command 'deploy'" in refused.stderr) == (2, True)


def test_nothing_is_installed_in_site_packages_but_the_command(installed: Installed) -> None:
    site = next((installed.bin.parent / "lib").glob("python3.*/site-packages"))
    assert (site / "flask_lambda" / "_bundled" / "layer" / "main.py").is_file(), "the layer's sources come along"
    assert not (site / "flask").exists(), "Flask goes into the layer, not next to the command"
    assert not list((installed.bin.parent).glob("**/venvs")), "cached virtualenvs live in the cache folder"


def test_a_new_project_is_what_the_scaffold_promises(project: Path, installed: Installed) -> None:
    names = {path.relative_to(project).as_posix() for path in project.rglob("*") if path.is_file()}
    assert {"routes.py", "requirements.txt", "tests/test_routes.py", "pyproject.toml", "main.tf"} <= names
    assert "modules/flask-function/variables.tf" in names
    assert (project / "modules/flask-function/VERSION").read_text().startswith("flask-lambda ")
    again = installed.run("new", str(project), cwd=project.parent)
    assert again.returncode == 2
    assert "exists and is not empty" in again.stderr


def test_the_new_projects_own_test_passes(project: Path) -> None:
    """Its pytest test runs Flask's test client on routes.py (with this run's Flask, as a user's venv has it)."""
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed" in ran.stdout


def test_serve_answers_the_new_project_and_stops_on_sigterm(project: Path, installed: Installed) -> None:
    serve = installed.serve(project)
    with serve:
        serve.wait_ready()
        with urllib.request.urlopen(f"{serve.url}/", timeout=30) as response:
            assert response.status == 200
            assert json.loads(response.read()) == {"message": "Hello from Flask on Lambda", "path": "/"}
        assert any(line.startswith(f"Try: curl -i {serve.url}/") for line in serve.stdout)
        code = serve.stop(signal.SIGTERM)
    assert code == 0, serve.output()


def test_package_builds_the_zips_and_terraform_deploys_them(project: Path, installed: Installed) -> None:
    packaged = installed.run("package", cwd=project)
    assert packaged.returncode == 0, packaged.stderr
    with zipfile.ZipFile(project / "dist" / "function.zip") as archive:
        shipped = set(archive.namelist())
    assert "routes.py" in shipped
    assert not {name for name in shipped if name.startswith(("modules/", "tests/", "dist/")) or name.endswith(".tf")}
    assert "pyproject.toml" not in shipped
    with zipfile.ZipFile(project / "dist" / "layer.zip") as archive:
        assert "python/main.py" in archive.namelist() or "main.py" in {Path(n).name for n in archive.namelist()}
    outputs = _apply_on_moto(project)
    assert outputs["api_url"].startswith("https://")
    assert outputs["curl_example"].endswith(f"'{outputs['api_url']}/'")
    assert outputs["invoke_policy_arn"].startswith("arn:aws:iam::")


def _apply_on_moto(project: Path) -> dict[str, Any]:
    """`terraform init && terraform apply` in the project, against moto; a second plan is clean; then destroy."""
    work = project.parent / "terraform-cli"
    work.mkdir(exist_ok=True)
    (work / "terraform.rc").write_text(cli_config())
    terraform = Terraform(find_binary(), work / "terraform.rc")
    with moto_server() as moto:
        # What only a local stand-in for AWS needs: moto's endpoints, and the gaps of its emulation.
        (project / "moto_override.tf").write_text(provider_configuration(moto.endpoint))
        (project / "modules" / "flask-function" / "moto_gaps_override.tf").write_text(MOTO_GAPS_OVERRIDE)
        terraform.run(project, "init", "-input=false")
        terraform.run(project, "apply", "-auto-approve", "-input=false")
        try:
            again = terraform.run(project, "plan", "-input=false", "-detailed-exitcode", expect=(0, 2))
            assert again.returncode == 0, f"the plan after the apply wants changes:\n{again.stdout[-4000:]}"
            shown = json.loads(terraform.run(project, "output", "-json").stdout)
        finally:
            terraform.run(project, "destroy", "-auto-approve", "-input=false")
    return {name: value["value"] for name, value in shown.items()}


@pytest.fixture
def users_api_copy(tmp_path: Path) -> Path:
    return shutil.copytree(API_DIR, tmp_path / "users-api", ignore=shutil.ignore_patterns("__pycache__"))


def test_a_copy_of_the_users_api_serves_with_its_table_outside_the_repository(
    users_api_copy: Path, installed: Installed
) -> None:
    serve = installed.serve(users_api_copy)
    with serve:
        serve.wait_ready()
        assert any("table 'users' (created)" in line for line in serve.stdout), serve.output()
        request = urllib.request.Request(
            f"{serve.url}/users",
            data=json.dumps({"name": "Ada Lovelace", "email": "ada@example.com"}).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201
            created = json.loads(response.read())
        with urllib.request.urlopen(f"{serve.url}/users", timeout=30) as response:
            listed = json.loads(response.read())
        assert [user["id"] for user in listed["items"]] == [created["id"]]
