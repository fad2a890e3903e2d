"""A function with SnapStart hooks of its own, for the layer's SnapStart tests: it records what ran, in order."""

from __future__ import annotations

import os
import random
import time

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from snapshot_restore_py import register_after_restore, register_before_snapshot

routes = Blueprint("routes", __name__)
ran: list[str] = []
# Drawn at init: the same in every environment restored from one snapshot, unless something reseeds.
AT_INIT = random.random()


@routes.before_app_request
def seen() -> None:
    ran.append(f"request {request.path}")


@routes.get("/draw")
def draw() -> ResponseReturnValue:
    time.sleep(float(request.args.get("hold", "0")))  # keeps this environment busy, so another one starts
    return jsonify(draw=random.random(), ran=ran, pid=os.getpid())


def tidy_up() -> None:
    if os.environ.get("FAIL_BEFORE_SNAPSHOT"):
        raise RuntimeError("cannot tidy up for the snapshot")
    ran.append("app before-snapshot")


def reconnect() -> None:
    if os.environ.get("FAIL_AFTER_RESTORE"):
        raise RuntimeError("cannot reconnect after the restore")
    ran.append(f"app after-restore, random reseeded: {random.random() != AT_INIT}")


register_before_snapshot(tidy_up)
register_after_restore(reconnect)
