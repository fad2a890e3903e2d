"""One structured access line per request, through stdlib logging.

The record's message is a dict: Lambda's JSON log format embeds it as an object, and the
plain-text format prints it as one line of JSON.
"""

from __future__ import annotations

import json
import logging
import os

logger = logging.getLogger("lambda_wsgi")
# Lambda's text format leaves the root logger at WARNING; access lines are INFO and should show
# unless the function's log level (AWS_LAMBDA_LOG_LEVEL) says otherwise.
if not os.environ.get("AWS_LAMBDA_LOG_LEVEL"):
    logger.setLevel(logging.INFO)


_encode = json.JSONEncoder(separators=(",", ":")).encode  # one encoder, not one per line


class _JsonLine(dict[str, object]):
    def __str__(self) -> str:
        return _encode(self)


def log_access(
    *,
    request_id: str,
    source: str,
    method: str,
    path: str,
    status: int,
    started: float,
    ended: float,
    cold_start: bool,
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
        durationMs=round((ended - started) * 1000, 3),
        coldStart=cold_start,
    )
    # makeRecord + handle is what logger.info does, minus the stack walk that finds the caller.
    logger.handle(logger.makeRecord(logger.name, logging.INFO, __file__, 0, line, (), None, "log_access"))
