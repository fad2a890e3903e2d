"""The Terraform CLI as the tests run it: offline provider installation and failures that say why.

Where a filesystem mirror of the provider exists, a CLI config of the tests' own points at it and
forbids direct downloads of hashicorp/aws; elsewhere Terraform installs from the registry as usual.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.infra.hcl import INFRA_DIR, MODULE_DIR, configuration_files, module_files

PROVIDER_MIRROR = Path("/opt/tf-plugins")
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"
# Committed with infra/: the provider version and checksums every `terraform init` must agree with.
LOCK_FILE = INFRA_DIR / ".terraform.lock.hcl"
FALLBACK_BINARY = Path("/usr/local/bin/terraform")
# Nothing from the caller's shell may change what the tests run against, and no real AWS
# credentials may ever reach the provider.
_DROPPED_PREFIXES = ("TF_", "AWS_", "CHECKPOINT_")


def find_binary() -> str:
    """The terraform executable; a missing one fails the test, so a green run always means it ran."""
    found = shutil.which("terraform") or (str(FALLBACK_BINARY) if FALLBACK_BINARY.is_file() else None)
    if found is None:
        pytest.fail(
            "Terraform is not installed (no `terraform` on PATH or at /usr/local/bin/terraform): "
            "the infra/ checks need it. Install Terraform 1.9 or later.",
            pytrace=False,
        )
    return found


def cli_config(mirror: Path = PROVIDER_MIRROR) -> str:
    """A CLI config that installs hashicorp/aws from `mirror` when it exists, and nothing else changes."""
    if not mirror.is_dir():
        return "# No local provider mirror: providers come from the registry.\n"
    return f"""provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["{AWS_PROVIDER}"]
  }}
  direct {{
    exclude = ["{AWS_PROVIDER}"]
  }}
}}
"""


def copy_module(target: Path) -> Path:
    """The module's *.tf files in `target`/modules/flask-function, where infra/ calls it from; that folder."""
    module_dir = target / MODULE_DIR.relative_to(INFRA_DIR)
    module_dir.mkdir(parents=True, exist_ok=True)
    for path in module_files():
        shutil.copy2(path, module_dir / path.name)
    return module_dir


def copy_configuration(target: Path) -> Path:
    """The *.tf files and the lock file of infra/ and the module's *.tf files (no state, no .terraform/, no tfvars of
    the user's) in `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for path in [*configuration_files(), LOCK_FILE]:
        shutil.copy2(path, target / path.name)
    copy_module(target)
    return target


# A provider that never reaches AWS: plans of a configuration without state need no API call, and an accidental
# one goes to a closed local port instead of AWS.
OFFLINE_PROVIDER_OVERRIDE = """provider "aws" {
  access_key                  = "offline"
  secret_key                  = "offline"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_requesting_account_id  = true

  endpoints {
    apigateway   = "http://127.0.0.1:9"
    apigatewayv2 = "http://127.0.0.1:9"
    cloudwatch   = "http://127.0.0.1:9"
    dynamodb     = "http://127.0.0.1:9"
    iam          = "http://127.0.0.1:9"
    lambda       = "http://127.0.0.1:9"
    logs         = "http://127.0.0.1:9"
    scheduler    = "http://127.0.0.1:9"
    sts          = "http://127.0.0.1:9"
  }
}
"""


# The same provider as the configuration of a root module of the tests' own (the module planned alone), which has no
# provider block to override and so needs a region.
OFFLINE_PROVIDER = OFFLINE_PROVIDER_OVERRIDE.replace(
    'provider "aws" {\n', 'provider "aws" {\n  region                      = "us-east-1"\n', 1
)


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Terraform:
    binary: str
    config_file: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items() if not name.startswith(_DROPPED_PREFIXES)}
        env.update(
            TF_CLI_CONFIG_FILE=str(self.config_file),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
            AWS_EC2_METADATA_DISABLED="true",
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        )
        env.update(self.extra_env)
        return env

    def with_env(self, **extra: str) -> Terraform:
        return Terraform(self.binary, self.config_file, {**self.extra_env, **extra})

    def run(
        self,
        workdir: Path,
        *args: str,
        expect: tuple[int, ...] = (0,),
        timeout: float = 300,
        stdin: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        # The subcommand may be two words ("providers lock"); its options follow -no-color.
        subcommand, *options = args
        command = [self.binary, f"-chdir={workdir}", *subcommand.split(), "-no-color", *options]
        try:
            result = subprocess.run(
                command, env=self.env, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"`terraform {' '.join(args)}` did not finish within {timeout:.0f} s", pytrace=False)
        if result.returncode not in expect:
            pytest.fail(
                f"`terraform {' '.join(args)}` exited {result.returncode} (expected {expect}):\n"
                f"{_tail(result.stdout)}\n{_tail(result.stderr)}",
                pytrace=False,
            )
        return result


@dataclass
class Offline:
    """A copy of infra/, or of its module, planned without AWS (see the `offline` and `offline_module` fixtures):
    plans, refusals and expressions."""

    terraform: Terraform
    workdir: Path
    zip_options: tuple[str, ...]

    def plan(self, *options: str) -> dict[str, Any]:
        """`terraform show -json` of a plan made with `options` (such as -var=authorization=JWT)."""
        plan_file = self.workdir / "tfplan"
        self.terraform.run(self.workdir, "plan", "-input=false", f"-out={plan_file}", *self.zip_options, *options)
        shown: dict[str, Any] = json.loads(self.terraform.run(self.workdir, "show", "-json", str(plan_file)).stdout)
        return shown

    def refusal(self, *options: str) -> str:
        """Why `terraform plan` with `options` fails, as one line (Terraform wraps and frames its messages)."""
        result = self.terraform.run(self.workdir, "plan", "-input=false", *self.zip_options, *options, expect=(1,))
        return " ".join(result.stderr.replace("│", " ").split())

    def evaluate(self, expression: str, *options: str) -> Any:
        """The value of `expression` (a local, say) with `options`, from `terraform console`."""
        result = self.terraform.run(
            self.workdir, "console", *self.zip_options, *options, stdin=f"jsonencode({expression})\n"
        )
        return json.loads(json.loads(result.stdout.strip()))
