"""Shared test fixtures: real-shaped events from tests/events/ and Lambda's own context class."""

from __future__ import annotations

import base64
import copy
import json
import os
import random
import time
import uuid
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from awslambdaric.lambda_context import LambdaContext
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
LAYER_DIR = ROOT / "python-lambda-layer"
API_DIR = ROOT / "api"  # the sample users API
# The interpreter that plays the Lambda runtime (requirements/runtime.txt), which ./build.sh test sets up.
RUNTIME_PYTHON = ROOT / ".venv-runtime" / "bin" / "python"
EVENTS_DIR = Path(__file__).resolve().parent / "events"


# CI runs derandomized, so a red run is a real bug and the same draws fail again; a local run draws a fresh seed
# and names it in the header, so a failure found there can be replayed with --hypothesis-seed.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
settings.load_profile(HYPOTHESIS_PROFILE)


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's own plugin reads the seed option
def pytest_configure(config: pytest.Config) -> None:
    if HYPOTHESIS_PROFILE != "ci" and config.getoption("hypothesis_seed", None) is None:
        config.option.hypothesis_seed = str(random.SystemRandom().randrange(2**32))


def pytest_report_header(config: pytest.Config) -> str:
    seed = config.getoption("hypothesis_seed", None)
    if HYPOTHESIS_PROFILE == "ci" and seed is None:
        return "hypothesis: derandomized (profile 'ci')"
    return f"hypothesis seed: {seed} (replay with: ./build.sh test --hypothesis-seed={seed})"


@cache
def _read_event(name: str) -> Any:
    return json.loads((EVENTS_DIR / f"{name}.json").read_text())


def load_event(name: str) -> Any:
    """A fresh copy of tests/events/<name>.json, safe to modify."""
    return copy.deepcopy(_read_event(name))


def lambda_context(request_id: str | None = None) -> LambdaContext:
    """The context object the Lambda runtime interface client passes to handlers."""
    deadline_ms = int(time.time() * 1000) + 30_000
    arn = "arn:aws:lambda:us-east-1:123456789012:function:users-api:live"
    return LambdaContext(request_id or str(uuid.uuid4()), None, None, deadline_ms, arn)


@pytest.fixture
def context() -> LambdaContext:
    return lambda_context()


def http_event(
    method: str = "GET",
    raw_path: str = "/",
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
    cookies: list[str] | None = None,
    body: str | bytes | None = None,
    content_type: str | None = None,
    stage: str = "$default",
) -> dict[str, Any]:
    """An HTTP API payload 2.0 event for one request, shaped like tests/events/http_api_v2.json.

    `raw_path` is the path as the client sent it, percent-encoded (`urllib.parse.quote` makes one from text),
    and `query` the raw query string; the fields AWS derives from them are filled in as AWS does. Bytes bodies
    travel base64-encoded, as API Gateway sends binary bodies; `content_type` is the body's Content-Type header.
    """
    event: dict[str, Any] = load_event("http_api_v2")
    sent = {"content-type": content_type} if content_type is not None else {}
    sent.update({name.lower(): value for name, value in (headers or {}).items()})
    raw_path = raw_path if stage == "$default" else f"/{stage}{raw_path}"
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        # API Gateway joins repeated parameters with commas here; rawQueryString keeps them apart.
        parameters[name] = parameters[name] + "," + value if name in parameters else value
    event.update(
        rawPath=raw_path,
        rawQueryString=query,
        routeKey="$default",
        pathParameters={},
        headers={
            "host": event["requestContext"]["domainName"],
            "x-forwarded-for": "205.255.255.176",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            **sent,
        },
    )
    optional: dict[str, Any] = {"cookies": cookies, "queryStringParameters": parameters}
    for field, value in optional.items():
        if value:
            event[field] = value
        else:
            del event[field]
    if isinstance(body, bytes):
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    else:
        event["body"], event["isBase64Encoded"] = body, False
    context = event["requestContext"]
    context["http"]["method"] = method.upper()
    context["http"]["path"] = raw_path
    context["stage"] = stage
    context["requestId"] = uuid.uuid4().hex[:16]
    context["timeEpoch"] = int(time.time() * 1000)
    return event
