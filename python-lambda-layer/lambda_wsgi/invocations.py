"""Events that are not HTTP requests, tried in order: keep-warm pings, command events, the app's event handlers.

Loaded at the first such event only, so a function that serves HTTP alone never imports it.
"""

from __future__ import annotations

from typing import Any

from . import commands, events, keep_warm
from .errors import UnsupportedEventError


def answer(app: Any, event: dict[str, Any], request_id: str, refusal: UnsupportedEventError) -> Any:
    """The result for a non-HTTP event; `refusal` (which names the event) is raised when nothing takes it."""
    if keep_warm.is_ping(event):
        return keep_warm.WARM_RESULT
    if commands.is_command(event):
        return commands.run(app, event, request_id)
    result = events.handle(app, event, request_id)
    if result is events.UNHANDLED:
        raise refusal
    return result
