"""How each contender reaches Lambda: a layer zip and a function zip, built the way its users build them, and
unpacked as Lambda unpacks them (layer under /opt, function under /var/task, neither writable).

- Ours: `flask_lambda.package.build_layer` and `build_function` with their defaults, what `./build.sh package` ships.
- Peers and the floor: `pip install --target python -r requirements/layer.txt <adapter>` with pip's defaults (it
  compiles timestamp-checked bytecode), then `zip -qr layer.zip python`; the function folder (routes.py and the
  handler module, with the `__pycache__` a local run of them leaves) zipped with `zip -qr`. `unzip` restores the
  files' times, so those timestamp pycs stay valid.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import BENCH_REQUIREMENTS, FUNCTION_DIR, LAYER_REQUIREMENTS
from .adapters import Contender


class PackagingError(RuntimeError):
    """A contender's zips could not be built or unpacked."""


@dataclass(frozen=True)
class ZipSize:
    """A zip: its size in bytes and how many entries it holds."""

    bytes: int
    files: int

    @property
    def kb(self) -> float:
        return self.bytes / 1024

    @classmethod
    def of(cls, path: Path) -> ZipSize:
        with zipfile.ZipFile(path) as archive:
            files = sum(1 for info in archive.infolist() if not info.is_dir())
        return cls(path.stat().st_size, files)


@dataclass(frozen=True)
class Package:
    """A contender's two zips, as it deploys them."""

    contender: Contender
    layer_zip: Path
    function_zip: Path

    def layer_size(self) -> ZipSize:
        return ZipSize.of(self.layer_zip)

    def function_size(self) -> ZipSize:
        return ZipSize.of(self.function_zip)


@dataclass(frozen=True)
class LambdaTree:
    """A package unpacked like an execution environment: `opt/python` (the layer), `var/task` (the function)."""

    root: Path

    @property
    def task(self) -> Path:
        return self.root / "var" / "task"

    @property
    def opt_python(self) -> Path:
        return self.root / "opt" / "python"

    def paths(self) -> list[str]:
        """sys.path entries in front, as Lambda puts the function code (/var/task) before layers (/opt/python)."""
        return [str(self.task), str(self.opt_python)]


def _run(command: list[str], cwd: Path | None = None) -> None:
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        output = "\n".join(
            line
            for line in (completed.stdout + completed.stderr).splitlines()
            # This machine's pip configuration names index folders that may not exist; pip notes each one.
            if line.strip() and not line.startswith("WARNING: Location ")
        )
        raise PackagingError(f"{' '.join(command)} failed ({completed.returncode}):\n{output}")


def build_ours(work: Path) -> Package:
    """The layer and function zips `./build.sh package` builds, for this machine's architecture."""
    from flask_lambda.package import build_function, build_layer, host_architecture

    arch = host_architecture()
    layer = build_layer(work / "layer.zip", arch)
    function = build_function(work / "function.zip", FUNCTION_DIR, arch, layer.path)
    return Package(_ours(), layer.path, function.path)


def _ours() -> Contender:
    from .adapters import CONTENDERS

    return next(contender for contender in CONTENDERS if contender.is_ours)


def build_with_pip(contender: Contender, work: Path, python: str = sys.executable) -> Package:
    """A peer's (or the floor's) zips as its users build them: pip with its defaults, `zip -r`."""
    layer_root = work / "layer"
    _run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--target",
            str(layer_root / "python"),
            "--requirement",
            str(_flask_stack(contender, work)),
            "--constraint",
            str(BENCH_REQUIREMENTS),
            *contender.distributions,
        ]
    )
    _run(["zip", "-qr", str(work / "layer.zip"), "python"], cwd=layer_root)
    function_root = work / "function"
    function_root.mkdir()
    for name in ("routes.py", f"{contender.module}.py"):
        shutil.copy2(FUNCTION_DIR / name, function_root / name)
    # The bytecode a local run of the function leaves beside it (timestamp pycs, as Python writes them).
    _run([python, "-m", "compileall", "-q", str(function_root)])
    _run(["zip", "-qr", str(work / "function.zip"), "."], cwd=function_root)
    return Package(contender, work / "layer.zip", work / "function.zip")


def _flask_stack(contender: Contender, work: Path) -> Path:
    """The versions the layer's requirements pin, without pybase64 for a peer: only this layer (and the floor,
    which encodes as it does) uses it, and a peer's users would not install it. Versions only: pip installs the
    peer's own distributions beside them, which the layer's hashes do not cover."""
    from flask_lambda.package import pinned_versions

    pins = pinned_versions(LAYER_REQUIREMENTS)
    kept = [f"{name}=={version}" for name, version in pins.items() if contender.role == "floor" or name != "pybase64"]
    requirements = work / "requirements.txt"
    requirements.write_text("\n".join(kept) + "\n")
    return requirements


def build_package(contender: Contender, work: Path, python: str = sys.executable) -> Package:
    work.mkdir(parents=True, exist_ok=True)
    return build_ours(work) if contender.is_ours else build_with_pip(contender, work, python)


def unpack(package: Package, root: Path) -> LambdaTree:
    """Unzip both zips with `unzip` (which restores the files' times) into a Lambda-like tree, then make it
    read-only (`chmod -R a-w`). Root can still write there: the cold start's `-B` is what keeps pycs out."""
    tree = LambdaTree(root)
    (root / "opt").mkdir(parents=True)
    tree.task.mkdir(parents=True)
    _run(["unzip", "-q", str(package.layer_zip), "-d", str(root / "opt")])
    _run(["unzip", "-q", str(package.function_zip), "-d", str(tree.task)])
    _run(["chmod", "-R", "a-w", str(root / "opt"), str(root / "var")])
    return tree


def make_writable(root: Path) -> None:
    if root.exists():
        _run(["chmod", "-R", "u+w", str(root)])


@dataclass(frozen=True)
class Deployed:
    package: Package
    tree: LambdaTree


@contextmanager
def deployed(contenders: list[Contender], python: str = sys.executable) -> Iterator[dict[str, Deployed]]:
    """Every contender built and unpacked in a temporary folder, removed afterwards."""
    work = Path(tempfile.mkdtemp(prefix="bench-packages-"))
    try:
        result: dict[str, Deployed] = {}
        for contender in contenders:
            print(f"  packaging {contender.name}", file=sys.stderr)
            package = build_package(contender, work / contender.name / "build", python)
            result[contender.name] = Deployed(package, unpack(package, work / contender.name / "lambda"))
        yield result
    finally:
        make_writable(work)
        shutil.rmtree(work, ignore_errors=True)
