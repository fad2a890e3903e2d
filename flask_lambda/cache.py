"""What flask-lambda makes on first use and keeps: virtualenvs for Lambda's runtime and serve's DynamoDB, built layers.

They live in the user's cache folder (FLASK_LAMBDA_CACHE, else $XDG_CACHE_HOME/flask-lambda, else
~/.cache/flask-lambda), never inside site-packages, and each is rebuilt when what it was made from changes.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

CACHE_VARIABLE = "FLASK_LAMBDA_CACHE"
# The interpreter of Lambda's python3.13 runtime, which builds and runs what ships.
PYTHON_VARIABLE = "PYTHON"
LAMBDA_PYTHON = (3, 13)
_STAMP = ".installed"


class CacheError(Exception):
    """Something the cache needs is missing or could not be made; the message says what to do."""


def cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    if environ.get(CACHE_VARIABLE):
        return Path(environ[CACHE_VARIABLE]).expanduser()
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "flask-lambda"


def lambda_python(environ: Mapping[str, str] = os.environ) -> Path:
    """A Python 3.13 interpreter: $PYTHON, this one, python3.13 on PATH, or pyenv's."""
    wanted = ".".join(map(str, LAMBDA_PYTHON))
    if environ.get(PYTHON_VARIABLE):
        given = Path(environ[PYTHON_VARIABLE])
        if not _is_lambda_python(given):
            raise CacheError(f"{PYTHON_VARIABLE}={given} is not a Python {wanted} interpreter")
        return given
    if sys.version_info[:2] == LAMBDA_PYTHON:
        return Path(sys.executable)
    candidates = [shutil.which(f"python{wanted}")]
    pyenv = Path(environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    candidates += [str(path) for path in sorted(pyenv.glob(f"{wanted}.*/bin/python{wanted}"), reverse=True)]
    for candidate in candidates:
        if candidate and _is_lambda_python(Path(candidate)):
            return Path(candidate)
    raise CacheError(
        f"Python {wanted} (the Lambda runtime's version) is needed but was not found on PATH or under pyenv; "
        f"install it, or set {PYTHON_VARIABLE}=/path/to/python{wanted}"
    )


def _is_lambda_python(path: Path) -> bool:
    probe = f"import sys; sys.exit(sys.version_info[:2] != {LAMBDA_PYTHON!r})"
    try:
        return subprocess.run([str(path), "-c", probe], capture_output=True, timeout=30, check=False).returncode == 0
    except OSError:
        return False


def runtime_python(say: Callable[[str], None] = print) -> Path:
    """The interpreter serve's execution environments run under: Lambda's Python with awslambdaric and boto3."""
    from .resources import RUNTIME_REQUIREMENTS

    return pinned_venv("runtime", RUNTIME_REQUIREMENTS, lambda_python(), say)


def pinned_venv(name: str, requirements: Path, python: Path, say: Callable[[str], None] = print) -> Path:
    """The interpreter of a virtualenv `name` made by `python` from the hashed pins in `requirements`.

    Made on first use, and again when the pins or the interpreter change; a lock keeps two commands that start
    at once from making it twice.
    """
    digest = hashlib.sha256(requirements.read_bytes() + os.fsencode(python.resolve())).hexdigest()[:16]
    folder = cache_dir() / "venvs" / name
    interpreter = folder / "bin" / "python"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with _locked(folder.parent / f"{name}.lock"):
        stamp = folder / _STAMP
        if stamp.is_file() and stamp.read_text(encoding="utf-8") == digest:
            return interpreter
        say(f"Setting up {name} from {requirements.name} in {folder} (once) ...")
        shutil.rmtree(folder, ignore_errors=True)
        _run([str(python), "-m", "venv", str(folder)], f"could not create the virtualenv {folder}")
        install = [str(interpreter), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        # Complete pins with their hashes: pip installs exactly these files and nothing they would pull in.
        install += ["--require-hashes", "--no-deps", "--requirement", str(requirements)]
        _run(install, f"pip could not install {requirements}")
        stamp.write_text(digest, encoding="utf-8")
    return interpreter


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run(command: list[str], failure: str) -> None:
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        # Some machines' pip configuration names local index folders that may not exist: pip notes each one.
        noise = "WARNING: Location 'file:"
        details = [line for line in completed.stderr.splitlines() if not line.startswith(noise)][-15:]
        raise CacheError(f"{failure}:\n" + "\n".join(details))
