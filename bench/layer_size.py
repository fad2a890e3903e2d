"""Layer zip size: what each adapter's Lambda layer would ship, built and zipped by the same rules.

Flask's pinned stack plus the adapter, installed with `pip install --target`, zipped under `python/` with
DEFLATE and without bytecode caches; ours adds the contents of python-lambda-layer/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import LAYER_DIR, ROOT
from .adapters import Contender

LAYER_REQUIREMENTS = ROOT / "requirements" / "layer.txt"
BENCH_REQUIREMENTS = ROOT / "requirements" / "bench.txt"
_FIXED_TIME = (2024, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class LayerSize:
    """A layer zip: its size in bytes and how many files it holds."""

    bytes: int
    files: int

    @property
    def kb(self) -> float:
        return self.bytes / 1024


def _skipped(path: Path) -> bool:
    return "__pycache__" in path.parts or path.suffix == ".pyc"


def zip_tree(source: Path, destination: Path, prefix: str = "python") -> LayerSize:
    """Zip every file under `source` (bytecode caches left out) as `prefix/...`, in a stable order."""
    files = sorted(path for path in source.rglob("*") if path.is_file() and not _skipped(path.relative_to(source)))
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(f"{prefix}/{path.relative_to(source).as_posix()}", _FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (path.stat().st_mode & 0o777) << 16
            archive.writestr(info, path.read_bytes())
    return LayerSize(destination.stat().st_size, len(files))


def install_layer(contender: Contender, target: Path, python: str = sys.executable) -> None:
    """Install what the contender's layer holds into `target` with pip, at the pinned versions."""
    command = [
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        "--no-compile",
        "--target",
        str(target),
        "--requirement",
        str(LAYER_REQUIREMENTS),
        "--constraint",
        str(BENCH_REQUIREMENTS),
        *contender.distributions,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"pip could not build the {contender.name} layer:\n{completed.stderr}")
    if contender.is_ours:
        shutil.copytree(LAYER_DIR, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def measure_layer(contender: Contender, python: str = sys.executable) -> LayerSize:
    with tempfile.TemporaryDirectory(prefix=f"layer-{contender.name}-") as work:
        tree = Path(work) / "python"
        install_layer(contender, tree, python)
        return zip_tree(tree, Path(work) / "layer.zip")


def measure_layers(contenders: list[Contender], python: str = sys.executable) -> dict[str, LayerSize]:
    return {contender.name: measure_layer(contender, python) for contender in contenders}


def shipped_layer() -> LayerSize:
    """Our layer as `./build.sh package` builds it (for this machine's architecture, like the builds above)."""
    sys.path.insert(0, str(ROOT))
    from tools.package import build_layer, host_architecture

    with tempfile.TemporaryDirectory(prefix="layer-shipped-") as work:
        built = build_layer(Path(work) / "layer.zip", host_architecture())
        return LayerSize(built.size, built.files)
