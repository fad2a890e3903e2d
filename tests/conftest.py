"""Shared test fixtures: real-shaped events from tests/events/ and Lambda's own context class."""

from __future__ import annotations

import copy
import json
import sys
import time
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from awslambdaric.lambda_context import LambdaContext

ROOT = Path(__file__).resolve().parent.parent
LAYER_DIR = ROOT / "python-lambda-layer"
EVENTS_DIR = Path(__file__).resolve().parent / "events"

if str(LAYER_DIR) not in sys.path:
    sys.path.insert(0, str(LAYER_DIR))


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
