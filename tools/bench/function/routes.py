"""The Blueprint `routes` that every adapter serves: the request shapes a users API sees.

A small JSON read, a JSON write with a 10 KB body, a 64 KB image, and a request heavy with headers and cookies.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

routes = Blueprint("routes", __name__)

# Built without importing `random`, so the image costs every adapter's cold start the same nothing.
AVATAR_PNG = b"\x89PNG\r\n\x1a\n" + (bytes(range(256)) * 256)[: 64 * 1024 - 8]


@routes.get("/users/<user_id>")
def get_user(user_id: str) -> Response:
    return jsonify(id=user_id, name="Ada Lovelace", email="ada@example.com", createdAt="2024-05-01T12:00:00Z")


@routes.post("/users")
def create_users() -> tuple[Response, int]:
    payload = request.get_json()
    return jsonify(created=len(payload["users"]), first=payload["users"][0]["email"]), 201


@routes.get("/users/<user_id>/avatar.png")
def get_avatar(user_id: str) -> Response:
    return Response(AVATAR_PNG, mimetype="image/png")


@routes.get("/me")
def whoami() -> Response:
    custom = sum(1 for name, _ in request.headers if name.lower().startswith("x-custom-"))
    return jsonify(
        cookies=sorted(request.cookies),
        session=request.cookies.get("session"),
        customHeaders=custom,
        language=request.headers.get("Accept-Language"),
    )
