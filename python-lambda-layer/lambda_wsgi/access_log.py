"""One structured access line per request, through stdlib logging.

The record's message is a dict: Lambda's JSON log format embeds it as an object, and the
plain-text format prints it as one line of JSON.
"""

from __future__ import annotations

import logging
import os
from json.encoder import encode_basestring_ascii as _quoted  # the C string escaper of json.dumps

logger = logging.getLogger("lambda_wsgi")
# Lambda's text format leaves the root logger at WARNING; access lines are INFO and should show
# unless the function's log level (AWS_LAMBDA_LOG_LEVEL) says otherwise.
if not os.environ.get("AWS_LAMBDA_LOG_LEVEL"):
    logger.setLevel(logging.INFO)


class _JsonLine(dict[str, object]):
    """The line's fields for Lambda's JSON format, which embeds the dict; its text for the plain one."""

    __slots__ = ("text",)
    text: str

    def __str__(self) -> str:
        return self.text


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
    duration_ms = round((ended - started) * 1000, 3)
    line = _JsonLine(
        type="access",
        requestId=request_id,
        source=source,
        method=method,
        path=path,
        status=status,
        durationMs=duration_ms,
        coldStart=cold_start,
    )
    # What json.dumps(line, separators=(",", ":")) gives, at a third of its cost on every request.
    line.text = (
        f'{{"type":"access","requestId":{_quoted(request_id)},"source":{_quoted(source)},'
        f'"method":{_quoted(method)},"path":{_quoted(path)},"status":{status:d},'
        f'"durationMs":{duration_ms!r},"coldStart":{"true" if cold_start else "false"}}}'
    )
    # makeRecord + handle is what logger.info does, minus the stack walk that finds the caller.
    logger.handle(logger.makeRecord(logger.name, logging.INFO, __file__, 0, line, (), None, "log_access"))
