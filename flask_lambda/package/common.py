"""What every part of the build shares: the repository's paths, Lambda's Python version and the build's error.

The paths are the defaults of `./build.sh package`; `display` shows a path as the user typed it, or close.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
LAYER_DIR = ROOT / "python-lambda-layer"
LAYER_REQUIREMENTS = ROOT / "requirements" / "layer.txt"
FUNCTION_DIR = ROOT / "api"
DIST_DIR = ROOT / "dist"
PYTHON_VERSION = "3.13"


class PackageError(Exception):
    """A build that cannot go on; the message says why and what to do."""


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
