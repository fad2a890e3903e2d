"""Keep-warm pings: answered at once, the app never called; look-alikes are left to the app."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_wsgi import Adapter, UnsupportedEventError
from lambda_wsgi.keep_warm import is_ping
from tests.conftest import lambda_context, load_event


def untouchable(environ: Any, start_response: Any) -> list[bytes]:
    raise AssertionError("a ping must not reach the app")


@pytest.mark.parametrize(
    "event",
    [
        load_event("warmup_plugin"),
        {"warmer": True, "concurrency": 3},  # lambda-warmer
        load_event("zappa_keep_warm"),
    ],
)
def test_a_ping_is_answered_without_the_app(event: dict[str, Any]) -> None:
    assert Adapter(untouchable)(event, lambda_context()) == {"warm": True}


@pytest.mark.parametrize(
    "event",
    [
        load_event("schedule"),  # any other schedule may be the app's own job
        load_event("eventbridge"),
        {"warmer": "yes"},
        {"source": "serverless-plugin-warmup", "detail-type": "Scheduled Event", "detail": {}},
    ],
)
def test_look_alikes_are_not_pings(event: dict[str, Any]) -> None:
    assert not is_ping(event)
    with pytest.raises(UnsupportedEventError):
        Adapter(untouchable)(event, lambda_context())
