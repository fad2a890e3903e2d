"""Lambda SnapStart: the app primed before the snapshot, and every restored environment made unique again.

Nothing here runs unless Lambda initialises the function for SnapStart (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start).
The hooks go through `snapshot_restore_py`, which Lambda's Python runtime provides; the layer does not ship it.
"""

from __future__ import annotations

import importlib
import logging
import random
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from .adapter import Adapter

logger = logging.getLogger("lambda_wsgi")

PRIME_REQUEST_ID = "snapstart-prime"


def on_restore(adapter: Callable[[], Adapter]) -> None:
    """Register, before the app loads (so it runs before the app's own after-restore hooks), the layer's restore hook.

    `adapter` gives the handler, which exists by the time a restore happens.
    """
    register = _hooks("register_after_restore")
    if register is not None:
        register(_after_restore, adapter)


def prime_before_snapshot(adapter: Adapter, path: str | None) -> None:
    """Register, after the app has loaded (so it runs before the app's own before-snapshot hooks), the priming.

    `path` None (`LAMBDA_WSGI_PRIME_PATH=off`) leaves it out, to measure what it buys or for an app whose
    routing is not safe to run before the snapshot.
    """
    if path is None:
        return
    register = _hooks("register_before_snapshot")
    if register is not None:
        register(prime, adapter, path)


def prime(adapter: Adapter, path: str) -> None:
    """One synthetic HTTP API 2.0 request through the whole path, so imports and caches are in the snapshot.

    Its result is discarded and it writes no access line; a failure is logged and does not stop the snapshot.
    """
    try:
        result = adapter.serve(prime_event(path), None, "prime", access_log=False)
    except Exception:  # the handler never raises for an HTTP event; this is belt and braces for the snapshot
        logger.exception("priming the app with GET %s before the snapshot failed", path)
        return
    status = result["statusCode"] if isinstance(result, dict) else "streamed"  # an HTTP API event: never streamed
    logger.debug("primed the app with GET %s before the snapshot: %s", path, status)


def prime_event(path: str) -> dict[str, Any]:
    domain = "snapstart.prime.local"  # no stage, no custom domain mapping: the path reaches the app as it is
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": domain, "user-agent": "lambda-wsgi-snapstart-prime", "accept": "*/*"},
        "requestContext": {
            "domainName": domain,
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": PRIME_REQUEST_ID,
            "routeKey": "$default",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def _after_restore(adapter: Callable[[], Adapter]) -> None:
    # Every environment restored from one snapshot starts with the same `random` state: draw a fresh one.
    random.seed()
    adapter().restored()


def _hooks(name: str) -> Callable[..., Any] | None:
    module = _hooks_module()
    return None if module is None else cast("Callable[..., Any]", getattr(module, name))


@cache
def _hooks_module() -> ModuleType | None:
    try:
        return importlib.import_module("snapshot_restore_py")
    except ImportError:
        # Lambda's runtime has it; elsewhere (a local run that sets the init type) nothing can snapshot anyway.
        logger.warning("SnapStart is on but snapshot_restore_py is missing: the layer registers no hooks")
        return None
