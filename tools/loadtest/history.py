"""What the clients did and were told, and what the store holds afterwards: the audit's two inputs.

Plain data, so a test can write a history and a final state by hand and hand them to the audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Operations, as the history names them.
CREATE, GET, UPDATE, DELETE, LIST = "create", "get", "update", "delete", "list"
WRITES = (CREATE, UPDATE)

# Answers that leave a request's fate unknown: it may have been applied, or not (yet). A 503 from the API, a
# 429 or 5xx from the gateway in front of it, or no answer at all.
UNKNOWN_FATE = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as one client saw it."""

    client: int
    kind: str  # CREATE, GET, UPDATE, DELETE or LIST
    user_id: str | None  # the user the path names (None for CREATE and LIST)
    sent: dict[str, Any] | None  # the JSON body sent (CREATE, UPDATE)
    status: int | None  # None: no answer came
    answer: Any  # the JSON answer, or None
    started: float  # time.monotonic() as the request left
    ended: float  # ... and as its answer came
    limit: int | None = None  # LIST: the page size asked for
    error: str | None = None  # why no answer came

    @property
    def acknowledged(self) -> bool:
        """The API said the request was done (2xx)."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def fate_unknown(self) -> bool:
        return self.status is None or self.status in UNKNOWN_FATE

    @property
    def refused(self) -> bool:
        """The API said the request changed nothing (4xx other than 429)."""
        return not self.acknowledged and not self.fate_unknown

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class FinalState:
    """The store as read after the load stopped: a full paging walk, and a GET of every user the audit knows.

    `users` maps an id to the user a GET returned, or None for a 404. `unread` names ids whose GET kept failing.
    """

    pages: list[list[dict[str, Any]]] = field(default_factory=list)
    limit: int = 0  # the walk's page size
    users: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    unread: dict[str, str] = field(default_factory=dict)
    walk_error: str | None = None  # why the walk could not be finished, if it could not
