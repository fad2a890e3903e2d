"""What every part of the build shares: the layer's sources and pins, Lambda's Python version and the build's error.

`display` shows a path as the user typed it, or close.
"""

from __future__ import annotations

from pathlib import Path

from flask_lambda.resources import LAYER_DIR, LAYER_REQUIREMENTS

__all__ = ["LAYER_DIR", "LAYER_REQUIREMENTS", "PYTHON_VERSION", "PackageError", "display"]

PYTHON_VERSION = "3.13"


class PackageError(Exception):
    """A build that cannot go on; the message says why and what to do."""


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
