"""Keep-warm pings: the few shapes that can only be a warmer's, answered without running the app.

Each shape is a warmer's documented payload; anything merely similar (any schedule) is left to the app.
"""

from __future__ import annotations

from typing import Any

# What a ping gets back: the warmers ignore it, and it tells a person reading an invoke's output what happened.
WARM_RESULT = {"warm": True}
# serverless-plugin-warmup's default payload (its `payload` option replaces it, and is then the app's).
WARMUP_PLUGIN_SOURCE = "serverless-plugin-warmup"
# Zappa's keep_warm rule is named `<function>-zappa-keep-warm-handler.keep_warm_callback`.
ZAPPA_RULE_MARK = "zappa-keep-warm-handler"


def is_ping(event: dict[str, Any]) -> bool:
    """Whether the event is a keep-warm ping of serverless-plugin-warmup, lambda-warmer or Zappa."""
    if event.get("source") == WARMUP_PLUGIN_SOURCE and "detail-type" not in event:
        return True
    if event.get("warmer") is True:  # lambda-warmer: {"warmer": true, "concurrency": n}
        return True
    return _is_zappa_keep_warm(event)


def _is_zappa_keep_warm(event: dict[str, Any]) -> bool:
    if event.get("source") != "aws.events" or event.get("detail-type") != "Scheduled Event":
        return False
    resources = event.get("resources")
    return isinstance(resources, list) and any(
        isinstance(arn, str) and ZAPPA_RULE_MARK in arn.rpartition(":rule/")[2] for arn in resources
    )
