"""A small site for the packaging tests: what ships although no import statement and no string names it.

Templates that extend and include each other, static files (a hidden folder and a `dist/` among them), data
read by a path computed from the request, and plugins loaded by name with importlib.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from flask import Blueprint, Response, abort, jsonify, render_template

HERE = Path(__file__).resolve().parent

routes = Blueprint("routes", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")


@routes.get("/")
def page() -> str:
    return render_template("page.html", title="Packaged")


@routes.get("/prices/<region>")
def prices(region: str) -> Response:
    path = HERE / "data" / "prices" / f"{region}.json"
    if not region.isalpha() or not path.is_file():
        abort(404)
    return jsonify(json.loads(path.read_text()))


@routes.get("/plugins/<name>")
def plugin(name: str) -> Response:
    if not name.isidentifier():
        abort(404)
    module = importlib.import_module(f"plugins.{name}")
    return jsonify(module.run())
