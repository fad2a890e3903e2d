"""The app the package step looks for; `main.handler` never serves it."""

from __future__ import annotations

from flask import Blueprint

routes = Blueprint("routes", __name__)
