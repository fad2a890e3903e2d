"""`serve --watch`: notice when the function's files or the layer's sources change, and serve the new code.

Polling times and sizes needs no dependency and sees every file system; a pass over a function folder takes about a
millisecond. A change is rebuilt into a fresh layout and served by fresh environments; a build that fails changes
nothing.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from flask_lambda import package

from .front import Gateway
from .function import ServeError
from .host import FunctionHost
from .options import FunctionOptions

INTERVAL = 0.5
# Never the code itself: caches, virtualenvs and version control change without the code changing.
_UNWATCHED_DIRS = frozenset(
    {
        "__pycache__",
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "build",
        "dist",
    }
)
_UNWATCHED_SUFFIXES = (".pyc", ".swp", "~")

# Each watched file's modification time and size: a change to either is a change to the file.
FileStamps = dict[Path, tuple[int, int]]


def file_stamps(roots: Iterable[Path]) -> FileStamps:
    """Every watched file under `roots` (files or folders) with its modification time and size."""
    seen: FileStamps = {}
    for root in roots:
        if root.is_file():
            _add(seen, root)
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = [name for name in dirs if name not in _UNWATCHED_DIRS]
            for name in files:
                if not name.endswith(_UNWATCHED_SUFFIXES):
                    _add(seen, Path(folder, name))
    return seen


def _add(seen: FileStamps, path: Path) -> None:
    try:
        stat = path.stat()
    except OSError:  # removed between listing and looking
        return
    seen[path] = (stat.st_mtime_ns, stat.st_size)


def changes(before: FileStamps, after: FileStamps, relative_to: Iterable[Path]) -> list[str]:
    """The files added, changed or removed, named relative to the watched folder they are in."""
    folders = list(relative_to)
    changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    return [_shown(path, folders) for path in changed]


def _shown(path: Path, folders: list[Path]) -> str:
    for folder in folders:
        if path.is_relative_to(folder):
            return str(path.relative_to(folder.parent))
    return str(path)


class Watcher(threading.Thread):
    """Calls `on_change(names)` from its own thread once the files stop changing, until `stop()`."""

    def __init__(self, roots: list[Path], on_change: Callable[[list[str]], None], interval: float = INTERVAL) -> None:
        super().__init__(name="watch", daemon=True)
        self.roots = roots
        self.on_change = on_change
        self.interval = interval
        self._stopped = threading.Event()
        self._last = file_stamps(roots)

    def run(self) -> None:
        while not self._stopped.wait(self.interval):
            current = file_stamps(self.roots)
            if current == self._last:
                continue
            # An editor saves in several steps: wait until one more look sees nothing new.
            while not self._stopped.wait(self.interval) and (settled := file_stamps(self.roots)) != current:
                current = settled
            names = changes(self._last, current, self.roots)
            self._last = current
            if names and not self._stopped.is_set():
                self.on_change(names)

    def stop(self) -> None:
        self._stopped.set()


def watched_sources(function: FunctionOptions) -> list[Path]:
    """What `--watch` rebuilds from: the function's folder and, unless a layer zip was given, the layer's inputs."""
    sources = [function.function_dir]
    if function.layer_zip is None:
        sources += [package.LAYER_DIR, package.LAYER_REQUIREMENTS]
    return sources


class Reloader:
    """Rebuilds after a change and swaps the new code in; a build that fails keeps the old code serving."""

    def __init__(self, host: FunctionHost, gateway: Gateway) -> None:
        self.host, self.gateway, self.output = host, gateway, host.output
        self.lock = threading.Lock()
        self.stopped = False

    def reload(self, changed: list[str]) -> None:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        started = time.perf_counter()
        with self.lock:
            if self.stopped:
                return
            self.output.say(f"Changed: {shown}; rebuilding ...")
            try:
                layout = self.host.build()
            except ServeError as error:
                self.output.warn(f"the rebuild failed, still serving the previous code: {error}")
                return
            try:
                code = self.host.run(layout)
            except ServeError as error:
                self.output.warn(f"the new code does not start, still serving the previous code: {error}")
                return
            old = self.gateway.swap(code)
        elapsed = time.perf_counter() - started
        self.output.say(f"Reloaded in {elapsed:.2f} s: new requests run the new code in fresh environments")
        grace = self.host.function.timeout
        threading.Thread(target=old.retire, args=(grace,), name="retire", daemon=True).start()

    def stop(self) -> None:
        with self.lock:  # waits for a rebuild under way
            self.stopped = True
