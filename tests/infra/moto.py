"""A moto server process for `terraform apply` offline: its provider configuration and boto3 clients for checks.

Each test module that applies starts its own, so every apply starts from a fresh account.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

from tests.conftest import ROOT

REGION = "us-east-1"
SERVICES = ("apigatewayv2", "dynamodb", "iam", "lambda", "logs", "scheduler", "sts")

# moto answers GetFunction without the logging_config it was given, so with the block the second
# plan would always show a change. The real configuration keeps it (checked statically). An override
# file of the module's folder in the test's own copy.
MOTO_GAPS_OVERRIDE = """resource "aws_lambda_function" "this" {
  dynamic "logging_config" {
    for_each = []
    content {
      log_format = "JSON"
    }
  }
}
"""


def provider_configuration(endpoint: str, *, region: str | None = None) -> str:
    """The aws provider talking to moto at `endpoint`: an override of infra/'s, or with `region` a root module's own."""
    endpoints = "\n".join(f'    {service} = "{endpoint}"' for service in SERVICES)
    region_line = f'  region                      = "{region}"\n' if region else ""
    # skip_requesting_account_id stays false: ARNs carry moto's account id, as they would AWS's.
    return f"""provider "aws" {{
{region_line}  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {{
{endpoints}
  }}
}}
"""


@dataclass
class Moto:
    process: subprocess.Popen[str]
    endpoint: str

    def client(self, service: str) -> Any:
        return boto3_client(service, self.endpoint)

    def account_id(self) -> str:
        return str(self.client("sts").get_caller_identity()["Account"])


def boto3_client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@contextmanager
def moto_server() -> Iterator[Moto]:
    """A moto process of its own: a fresh account, whatever ran before."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flask_lambda.moto_server", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready, "moto did not start within 30 s"
        endpoint = json.loads(process.stdout.readline())["endpoint"]
        yield Moto(process, endpoint)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
