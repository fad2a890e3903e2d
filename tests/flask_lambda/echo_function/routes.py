"""A Blueprint for serve's tests: reports the event and the environment it ran in, and misbehaves on demand.

Packaged with `./build.sh package --function-dir`: the whole folder ships, `greeting.txt` and `helpers.py` included.
"""

from __future__ import annotations

import base64
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import flask
from flask import Blueprint, Response, jsonify, request
from helpers import PNG, environment_report

routes = Blueprint("routes", __name__)
logger = logging.getLogger(__name__)
GREETING = Path(__file__).with_name("greeting.txt").read_text().strip()


@routes.route("/event", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@routes.route("/event/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def event(rest: str = "") -> Response:
    marker = request.args.get("marker")
    if marker:
        print(f"echo marker {marker}")
    return jsonify(
        event=request.environ["aws.event"],
        path=request.path,
        body=base64.b64encode(request.get_data()).decode(),
        pid=os.getpid(),
        greeting=GREETING,
    )


@routes.get("/environment")
def environment() -> Response:
    return jsonify(environment_report(flask.__file__, sys.path))


@routes.get("/cookies")
def cookies() -> Response:
    response = jsonify(set=2)
    response.set_cookie("session", "abc", httponly=True)
    response.set_cookie("theme", "dark", path="/")
    return response


@routes.get("/binary")
def binary() -> Response:
    return Response(PNG, content_type="image/png")


@routes.get("/big")
def big() -> Response:
    return Response(b"x" * (7 * 1024 * 1024), content_type="application/octet-stream")


@routes.get("/sleep")
def sleep() -> Response:
    time.sleep(float(request.args.get("seconds", "1")))
    return jsonify(slept=True, pid=os.getpid())


@routes.get("/crash")
def crash() -> Response:
    logger.warning("crashing on purpose")
    os._exit(3)


@routes.get("/stream")
def stream() -> Response:
    """`chunks` lines, `pause` seconds apart, each stamped with the time it was made; `fail` raises after the first."""
    count, pause = int(request.args.get("chunks", "3")), float(request.args.get("pause", "0"))
    fail = "fail" in request.args

    def lines() -> Iterator[bytes]:
        made = 0
        try:
            for number in range(count):
                if number:
                    time.sleep(pause)
                if fail and number:
                    raise RuntimeError("failing mid-stream on purpose")
                yield f"{number} {time.time():.6f}\n".encode()
                made += 1
        finally:
            logger.warning("stream closed after %d of %d lines", made, count)

    return Response(flask.stream_with_context(lines()), content_type="text/plain")


@routes.get("/stream/big")
def stream_big() -> Response:
    """`mb` megabytes of a repeated byte in 64 KB chunks: past the 6 MB a buffered result may hold."""
    chunk = b"y" * (64 * 1024)
    return Response((chunk for _ in range(int(request.args.get("mb", "20")) * 16)), content_type="text/plain")


@routes.get("/context")
def context() -> Response:
    """What the runtime gave this invocation: the context object and the X-Ray trace id; logs one line."""
    lambda_context = request.environ["aws.context"]
    logger.warning("context asked for")
    return jsonify(
        requestId=lambda_context.aws_request_id,
        functionArn=lambda_context.invoked_function_arn,
        remainingMs=lambda_context.get_remaining_time_in_millis(),
        traceId=os.environ.get("_X_AMZN_TRACE_ID"),
    )


@routes.get("/stream/file")
def stream_file() -> Response:
    """`mb` megabytes from a file, as send_file serves it."""
    path = Path(os.environ.get("TMPDIR", "/tmp"), "stream-file.bin")
    path.write_bytes(b"f" * (int(request.args.get("mb", "8")) * 1024 * 1024))
    return flask.send_file(path, mimetype="application/octet-stream")
