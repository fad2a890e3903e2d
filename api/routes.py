"""The users API, a plain Flask Blueprint that the Lambda layer serves (`routes:routes`).

Views only translate: validation.py checks input, storage.py talks to DynamoDB, errors become JSON.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import access
import page_token
import storage
import validation
from flask import Blueprint, Response, current_app, request, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import PathConverter

logger = logging.getLogger(__name__)

# Its commands are `flask users ...` (the Blueprint's own name would hide Flask's `flask routes`).
routes = Blueprint("routes", __name__, cli_group="users")

# The contract this module serves, shipped next to it and read once per execution environment.
OPENAPI_DOCUMENT = Path(__file__).with_name("openapi.json").read_bytes()

# Every answer is JSON: no empty default page for OPTIONS, no HTML redirect from `//x` to `/x`.
_JSON_ONLY = {"provide_automatic_options": False, "merge_slashes": False}


# Where the layer puts the Lambda request id in the WSGI environ.
REQUEST_ID_KEY = "aws.request_id"
# Where the app keeps its users table (see `_set_up`).
USERS_EXTENSION = "users_api"
# Where the app keeps who may change which user (see `_set_up`).
ACCESS_EXTENSION = "users_api_access"
# Time kept back from the invocation's deadline to build and return the answer.
_ANSWER_SECONDS = 0.5


@routes.before_request
def _time_budget() -> None:
    """DynamoDB calls must leave time to answer 503 before Lambda ends the invocation."""
    context = request.environ.get("aws.context")
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    storage.answer_by(remaining() / 1000 - _ANSWER_SECONDS if remaining is not None else None)


def _users() -> storage.Users:
    users: storage.Users = current_app.extensions[USERS_EXTENSION]
    return users


def _caller() -> access.Caller:
    policy: access.Policy = current_app.extensions[ACCESS_EXTENSION]
    return policy.caller(request.environ)


@routes.get("/users", **_JSON_ONLY)
def list_users() -> Response:
    limit, token = validation.page_query(request.args.to_dict(flat=False))
    users, next_token = _users().page(limit, token)
    return _json({"items": users, "nextToken": next_token})


@routes.post("/users", **_JSON_ONLY)
def create_user() -> Response:
    fields = validation.new_user(_request_object())
    user = _users().create(fields["name"], fields["email"], _caller().identity)
    return _json(user, 201, {"Location": url_for(".get_user", user_id=user["id"])})


class UserIdConverter(PathConverter):
    """Ids are opaque: whatever follows /users/ (a "/" too, sent as %2F) is looked up, and is 404 if unknown.

    Werkzeug's `path` converter stops at a newline; this one takes every character.
    """

    regex = r"[^/][\s\S]*?"


@routes.cli.command("count")
def count_users() -> None:
    """Print how many users the table holds (`flask users count`, or a command event on Lambda)."""
    storage.answer_by(None)  # a command has the invocation's whole time, not a request's budget
    users = _users()
    total, token = 0, None
    while True:
        page, token = users.page(validation.MAX_LIMIT, token)
        total += len(page)
        if token is None:
            break
    print(total)


@routes.record_once
def _set_up(state: BlueprintSetupState) -> None:
    """Once per app, when the Blueprint is registered (at cold start): the converter and the table.

    `app.register_blueprint(routes, users=Users(...), access=Policy(...))` serves another table, client or keys,
    or another policy (as tests do); by default they come from the environment, and a missing or unclear setting
    stops the app with the reason.
    """
    # Runs before the routes below are added to the app's URL map, which must know the converter first.
    state.app.url_map.converters["user_id"] = UserIdConverter
    state.app.extensions[ACCESS_EXTENSION] = state.options.get("access") or access.Policy.from_environment()
    users = state.app.extensions[USERS_EXTENSION] = state.options.get("users") or storage.from_environment()
    _disconnect_before_snapshots(users)


def _disconnect_before_snapshots(users: storage.Users) -> None:
    """Under SnapStart, close DynamoDB connections before the snapshot: after a restore they would be dead.

    The client opens new ones at its next call. `snapshot_restore_py` is Lambda's; elsewhere there is no snapshot.
    """
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != "snap-start":
        return
    try:
        from snapshot_restore_py import register_before_snapshot
    except ImportError:
        return
    register_before_snapshot(users.disconnect)


@routes.get("/users/<user_id:user_id>", **_JSON_ONLY)
def get_user(user_id: str) -> Response:
    return _json(_users().get(user_id))


@routes.patch("/users/<user_id:user_id>", **_JSON_ONLY)
def update_user(user_id: str) -> Response:
    changes = validation.user_changes(_request_object())
    caller = _caller()
    return _json(_users().update(user_id, changes.get("name"), changes.get("email"), caller.may_change))


@routes.delete("/users/<user_id:user_id>", **_JSON_ONLY)
def delete_user(user_id: str) -> Response:
    _users().delete(user_id, _caller().may_change)
    response = Response(status=204)
    del response.headers["Content-Type"]  # no content, so no content type
    return response


@routes.get("/openapi.json", **_JSON_ONLY)
def openapi() -> Response:
    return Response(OPENAPI_DOCUMENT, mimetype="application/json")


def _request_object() -> dict[str, Any]:
    validation.check_length(request.content_length)
    # Read at most one byte past the limit: enough to tell that a body without a length is too large.
    body = request.stream.read(validation.MAX_BODY_BYTES + 1)
    return validation.json_object(request.mimetype, request.mimetype_params.get("charset"), body)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status, headers, mimetype="application/json")


def _error(status: int, message: str, errors: dict[str, str] | None = None, **headers: str) -> Response:
    body: dict[str, Any] = {"message": message}
    if errors:
        body["errors"] = errors
    return _json(body, status, headers)


@routes.errorhandler(validation.InvalidRequestError)
def invalid_request(error: validation.InvalidRequestError) -> Response:
    return _error(error.status, error.message, error.errors)


@routes.errorhandler(page_token.InvalidTokenError)
def invalid_token(error: page_token.InvalidTokenError) -> Response:
    return _error(400, "invalid query parameters", {"nextToken": f"{error}; use a nextToken from a previous page"})


@routes.errorhandler(storage.UserNotFoundError)
def user_not_found(error: storage.UserNotFoundError) -> Response:
    return _error(404, "user not found")


@routes.errorhandler(storage.ForbiddenError)
def forbidden(error: storage.ForbiddenError) -> Response:
    return _error(403, "only the user's creator or an administrator may change or delete it")


@routes.errorhandler(storage.EmailTakenError)
def email_taken(error: storage.EmailTakenError) -> Response:
    return _error(409, "the email address is already in use", {"email": "belongs to another user"})


@routes.errorhandler(storage.UnavailableError)
def unavailable(error: storage.UnavailableError) -> Response:
    """503 with Retry-After, and the Lambda request id, as the layer's 500s have, to find this log line by."""
    request_id = str(request.environ.get(REQUEST_ID_KEY, ""))
    logger.warning("answering 503 to %s %r (request id %s): %s", request.method, request.path, request_id, error)
    body = {"message": "the service is busy or unavailable; retry shortly", "requestId": request_id}
    return _json(body, 503, {"Retry-After": str(error.retry_after)})


@routes.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """Routing and protocol errors (404, 405, ...) in the same JSON shape, for the whole app."""
    status = error.code or 500
    headers: dict[str, str] = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    message = f"no route for {request.path}" if status == 404 else (error.description or error.name)
    if isinstance(error, MethodNotAllowed):
        message = f"{request.method} is not allowed on {request.path}"
    return _error(status, message, None, **headers)
