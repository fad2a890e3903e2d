"""A Flask Blueprint that uses every Flask feature the layer must carry, for the layer's tests.

`/echo` reports exactly what the view saw, so tests can compare it with what the client sent.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import sys
from collections.abc import Iterator
from typing import Any

import click
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    send_file,
    session,
    stream_with_context,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

# Its commands are `flask sample ...`: a group named `routes` would be hidden by Flask's own `flask routes`.
routes = Blueprint("routes", __name__, cli_group="sample")
PNG = bytes(range(256)) * 4
teardowns: list[str] = []
closed_streams: list[str] = []


@routes.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@routes.route("/echo/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def echo(rest: str = "") -> Response:
    environ = request.environ
    seen_before = getattr(g, "seen", None)
    g.seen = True
    return jsonify(
        method=request.method,
        rest=rest,
        path=request.path,
        script_root=request.script_root,
        url=request.url,
        query_string=request.query_string.decode("latin-1"),
        args=request.args.to_dict(flat=False),
        headers=dict(request.headers.items()),
        cookies=request.cookies.to_dict(),
        body=base64.b64encode(request.get_data()).decode(),
        remote_addr=request.remote_addr,
        scheme=request.scheme,
        host=request.host,
        environ={key: value for key, value in environ.items() if isinstance(value, str)},
        g_leaked=seen_before,
    )


@routes.get("/users/<name>")
def user(name: str) -> Response:
    return jsonify(
        name=name, link=url_for("routes.user", name=name), external=url_for("routes.user", name=name, _external=True)
    )


@routes.get("/claims")
def claims() -> Response:
    event: dict[str, Any] = request.environ["aws.event"]
    context = request.environ["aws.context"]
    return jsonify(
        sub=event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"],
        stage_variable=event["stageVariables"]["stageVariable1"],
        request_id=request.environ["aws.request_id"],
        function_arn=context.invoked_function_arn,
    )


@routes.get("/whoami")
def whoami() -> Response:
    """The caller, as the layer hands the authorizer's findings to a view."""
    environ = request.environ
    return jsonify(
        remote_user=request.remote_user,
        claims=environ.get("aws.jwt_claims"),
        scopes=environ.get("aws.jwt_scopes"),
        iam=environ.get("aws.iam_principal"),
        authorizer_context=environ.get("aws.authorizer_context"),
    )


@routes.get("/cookies")
def set_cookies() -> Response:
    response = jsonify(ok=True)
    response.set_cookie("session_id", "abc", httponly=True, secure=True, samesite="Lax", path="/")
    response.set_cookie("theme", "dark", max_age=3600)
    response.headers.add("X-Multi", "a")
    response.headers.add("X-Multi", "b")
    return response


@routes.get("/session")
def read_session() -> Response:
    session["visits"] = session.get("visits", 0) + 1
    return jsonify(visits=session["visits"])


@routes.get("/redirect")
def go_elsewhere() -> BaseResponse:
    return redirect(url_for("routes.user", name="ada"), code=302)


@routes.route("/only-get", methods=["GET"])
def only_get() -> str:
    return "ok"


@routes.get("/no-content")
def no_content() -> tuple[str, int]:
    return "", 204


@routes.get("/binary")
def binary() -> Response:
    return send_file(io.BytesIO(PNG), mimetype="image/png")


@routes.get("/typed")
def typed() -> Response:
    """Any body with the content type and encoding the test asks for."""
    body = base64.b64decode(request.args["body"])
    response = Response(body, content_type=request.args["type"])
    if "encoding" in request.args:
        response.headers["Content-Encoding"] = request.args["encoding"]
    return response


@routes.post("/upload")
def upload() -> Response:
    uploaded = request.files["file"]
    data = uploaded.read()
    return jsonify(filename=uploaded.filename, size=len(data), form=request.form.to_dict(), first=data[:4].hex())


@routes.post("/digest")
def digest() -> Response:
    data = request.get_data()
    return jsonify(size=len(data), sha256=hashlib.sha256(data).hexdigest())


@routes.post("/json")
def json_body() -> Response:
    return jsonify(received=request.get_json())


@routes.get("/stream")
def stream() -> Response:
    def generate() -> Iterator[str]:
        try:
            for n in range(3):
                yield f"chunk{n};"
        finally:
            closed_streams.append("stream")

    return Response(stream_with_context(generate()), mimetype="text/plain")


@routes.get("/stream-fails")
def stream_fails() -> Response:
    def generate() -> Iterator[str]:
        try:
            yield "partial;"
            raise RuntimeError("the stream broke midway")
        finally:
            closed_streams.append("stream-fails")

    return Response(generate(), mimetype="text/plain")


@routes.get("/fails")
def fails() -> str:
    raise RuntimeError("the view broke")


@routes.get("/teapot")
def teapot() -> str:
    abort(418)


@routes.app_errorhandler(418)
def handle_teapot(error: Exception) -> tuple[Response, int]:
    return jsonify(message="short and stout"), 418


@routes.teardown_app_request
def record_teardown(error: BaseException | None) -> None:
    teardowns.append(request.path if error is None else f"{request.path}:{type(error).__name__}")


@routes.get("/config")
def config() -> Response:
    return jsonify(secret_key_set=bool(current_app.secret_key))


@routes.cli.command("greet")
@click.argument("name")
@click.option("--shout", is_flag=True)
def greet(name: str, shout: bool) -> None:
    """Greet NAME, on stdout, stderr and the log, from inside the app context."""
    greeting = f"hello {name} from {current_app.name}"
    click.echo(greeting.upper() if shout else greeting)
    print("to stderr", file=sys.stderr)
    logging.getLogger("sample").warning("a warning")


@routes.cli.command("fails")
def command_fails() -> None:
    """Raise, as a command with a bug does."""
    print("started")
    raise RuntimeError("the command broke")


@routes.cli.command("exits")
@click.argument("status", type=int)
def exits(status: int) -> None:
    """End with STATUS."""
    sys.exit(status)


@routes.cli.command("loud")
@click.argument("lines", type=int)
def loud(lines: int) -> None:
    """Print LINES numbered lines."""
    for number in range(lines):
        click.echo(f"line {number:09d} " + "x" * 90)
