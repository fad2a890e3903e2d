"""The views the stream metric times (`LAMBDA_WSGI_APP=stream_views:views`): a response made in chunks some time
apart, and a download past the 6 MB a buffered result may hold. No other contender serves them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from flask import Blueprint, Response, request, stream_with_context

views = Blueprint("stream_views", __name__)

DOWNLOAD_CHUNK = 64 * 1024


def chunk_line(number: int) -> bytes:
    """The `number`-th chunk of /stream: eight bytes for the first ten."""
    return b"chunk %d\n" % number


@views.get("/stream")
def chunks() -> Response:
    """`chunks` lines (default 10), `pause` seconds apart (default 0.1)."""
    count, pause = int(request.args.get("chunks", "10")), float(request.args.get("pause", "0.1"))

    def lines() -> Iterator[bytes]:
        for number in range(count):
            if number:
                time.sleep(pause)
            yield chunk_line(number)

    return Response(stream_with_context(lines()), content_type="text/plain")


@views.get("/stream/big")
def download() -> Response:
    """`mb` megabytes (default 20) in 64 KB chunks."""
    chunk = b"y" * DOWNLOAD_CHUNK
    count = int(request.args.get("mb", "20")) * (1024 * 1024 // DOWNLOAD_CHUNK)
    return Response((chunk for _ in range(count)), content_type="application/octet-stream")
