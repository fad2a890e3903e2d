"""`main.handler` of its own, shadowing the layer's as /var/task comes first on the path.

A command event gets the layer's command result (`exit N` exits N, `crash` raises); any other event comes back as is.
"""

from __future__ import annotations

from typing import Any


def handler(event: Any, context: Any) -> Any:
    command = event.get("flask-lambda", {}).get("command") if isinstance(event, dict) else None
    if command is None:
        print(f"echoed {event!r}")
        return event
    if command[0] == "crash":
        raise RuntimeError("the command crashed")
    code = int(command[1]) if command[0] == "exit" else 0
    return {"exitCode": code, "output": f"ran {' '.join(command)}\nsecond line\n", "outputTruncated": False}
