"""serve's access line: what is known about one request, gathered while it is handled, put into fields in one place.

It is written as one JSON line on standard output once the request has been answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .pool import Outcome


@dataclass
class AccessLine:
    method: str
    path: str  # the event's rawPath
    request_id: str | None = None  # API Gateway's, once the request reached the function's route
    status: int | None = None
    duration_ms: float | None = None
    outcome: Outcome | None = None  # once an environment ran the event
    error: str | None = None  # why the answer is an error, when serve knows

    def fields(self) -> dict[str, Any]:
        """The line's fields: the ones every line has first, then what the invocation adds, the error last."""
        fields: dict[str, Any] = {}
        if self.request_id is not None:
            fields["requestId"] = self.request_id
        fields["method"], fields["path"] = self.method, self.path
        if self.status is not None:
            fields["status"] = self.status
        if self.duration_ms is not None:
            fields["durationMs"] = self.duration_ms
        if self.outcome is not None:
            outcome = self.outcome
            fields |= {"coldStart": outcome.cold, "lambdaRequestId": outcome.request_id}
            fields["environment"] = outcome.environment
            if outcome.restored:
                fields["restored"] = True
            if outcome.init_ms is not None:
                fields["restoreDurationMs" if outcome.restored else "initDurationMs"] = outcome.init_ms
        if self.error is not None:
            fields["error"] = self.error
        return fields
