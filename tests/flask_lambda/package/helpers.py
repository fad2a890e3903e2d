"""What the packaging tests share: running the command, reading zips, writing function folders and wheels.

It runs as `./build.sh package` does: `python -m flask_lambda.package`, the repository and the layer on the path.
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import subprocess
import sys
import types
import zipfile
from pathlib import Path

from flask_lambda import package
from tests.conftest import API_DIR, ROOT
from tests.flask_lambda.conftest import ECHO_DIR


def run_package(*args: str, hash_seed: str = "random", cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != package.APP_VARIABLE}
    return subprocess.run(
        [sys.executable, "-m", "flask_lambda.package", *args],
        cwd=cwd,
        env={
            **environment,
            "PYTHONHASHSEED": hash_seed,
            "PYTHONPATH": os.pathsep.join(map(str, (ROOT, package.LAYER_DIR))),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def sample_function_dir() -> Path:
    return API_DIR if (API_DIR / "routes.py").is_file() else ECHO_DIR


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def extract_zip(path: Path, target: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(target)
    return target


def bare_python(*args: str, path: tuple[Path, ...] = ()) -> subprocess.CompletedProcess[str]:
    """This interpreter without its site-packages (-S), writing no bytecode, finding only `path` (as Lambda's
    /var/task and /opt/python) besides the standard library."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.pathsep.join(map(str, path))}
    return subprocess.run(
        [sys.executable, "-S", "-s", "-B", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
        cwd=path[0] if path else None,  # -c puts the working directory first: nothing of this repository
    )


def _file_names(code: types.CodeType) -> set[str]:
    """The file names a module's code objects carry (tracebacks and inspect show these)."""
    names = {code.co_filename}
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _file_names(constant)
    return names


def assert_every_module_is_compiled(path: Path, root: str) -> None:
    """A pyc beside every module of the zip: of this Python, unchecked-hash, of that very source, naming
    the file where Lambda puts it (under `root`)."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        modules = [name for name in names if name.endswith(".py")]
        assert modules
        assert {name for name in names if name.endswith(".pyc")} == {
            importlib.util.cache_from_source(name) for name in modules
        }
        for module in modules:
            pyc = archive.read(importlib.util.cache_from_source(module))
            assert pyc[:4] == importlib.util.MAGIC_NUMBER, module
            assert int.from_bytes(pyc[4:8], "little") == 0b01, module  # hash-based, source not checked (PEP 552)
            assert pyc[8:16] == importlib.util.source_hash(archive.read(module)), module
            assert _file_names(marshal.loads(pyc[16:])) == {f"{root}/{module}"}


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """`files` (posix name -> text or bytes) written under `root`, beside a routes.py unless one is given."""
    for name, content in {"routes.py": "routes = None\n", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def shipped_files(function_dir: Path, app: str = package.DEFAULT_APP) -> set[str]:
    return set(package.function_files(function_dir, app))


def pyc_with_magic(magic: bytes) -> bytes:
    """A pyc header of the Python with that magic number, then the code of an empty module."""
    return magic + (0).to_bytes(4, "little") + bytes(8) + marshal.dumps(compile("", "x.py", "exec"))


def function_with_requirements(tmp_path: Path, routes: str, requirements: str) -> Path:
    function_dir = tmp_path / "function"
    function_dir.mkdir()
    (function_dir / "routes.py").write_text(routes + "routes = None\n")
    (function_dir / "requirements.txt").write_text(requirements)
    return function_dir


def make_wheel(folder: Path, name: str, files: dict[str, tuple[str, int]], requires: tuple[str, ...] = ()) -> Path:
    """A pure-Python wheel `name` 1.0 holding `files` (path -> (text, mode)) and needing `requires`, as a
    build backend writes it."""
    dist_info = f"{name}-1.0.dist-info"
    requires_dist = "".join(f"Requires-Dist: {requirement}\n" for requirement in requires)
    contents = {
        **files,
        f"{dist_info}/METADATA": (f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n{requires_dist}", 0o644),
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
            0o644,
        ),
    }
    record = "".join(f"{path},,\n" for path in contents) + f"{dist_info}/RECORD,,\n"
    wheel = folder / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, (text, mode) in {**contents, f"{dist_info}/RECORD": (record, 0o644)}.items():
            info = zipfile.ZipInfo(path)
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, text)
    return wheel


def layer_pins() -> dict[str, str]:
    return package.pinned_versions(ROOT / "requirements" / "layer.txt")
