"""One structured access line per request, through stdlib logging, when the user turns it on.

The record's message is a dict: Lambda's JSON log format embeds it as an object, and the
plain-text format prints it as one line of JSON, encoded once, when the handler formats it.
"""

from __future__ import annotations

import json
import logging
import os
from json.encoder import encode_basestring_ascii as _quote
from math import isfinite

logger = logging.getLogger("lambda_wsgi")
# Lambda's text format leaves the root logger at WARNING; access lines are INFO and should show
# unless the function's log level (AWS_LAMBDA_LOG_LEVEL) says otherwise.
if not os.environ.get("AWS_LAMBDA_LOG_LEVEL"):
    logger.setLevel(logging.INFO)

_encode = json.JSONEncoder(separators=(",", ":")).encode


class _JsonLine(dict[str, object]):
    def __str__(self) -> str:
        """The same text as `json.dumps(self, separators=(",", ":"))`, at a quarter of its cost."""
        parts = []
        for key, value in self.items():
            kind = type(value)
            if kind is str:
                text = _quote(value)  # type: ignore[arg-type]
            elif kind is bool:
                text = "true" if value else "false"
            elif kind is int or (kind is float and isfinite(value)):  # type: ignore[arg-type]
                text = repr(value)  # json's spelling of both
            else:  # NaN and infinities, and whatever a filter added
                text = _encode(value)
            parts.append(f"{_quote(key)}:{text}" if type(key) is str else _encode({key: value})[1:-1])
        return "{" + ",".join(parts) + "}"


def log_access(
    *,
    request_id: str,
    source: str,
    method: str,
    path: str,
    status: int,
    duration_ms: float,
    start: str,
) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    line = _JsonLine(
        type="access",
        requestId=request_id,
        source=source,
        method=method,
        path=path,
        status=status,
        durationMs=round(duration_ms, 3),
        start=start,
    )
    # makeRecord + handle is what logger.info does, minus the stack walk that finds the caller.
    logger.handle(logger.makeRecord(logger.name, logging.INFO, __file__, 0, line, (), None, "log_access"))
