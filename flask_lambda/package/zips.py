"""Zip writing: reproducible zips, so equal inputs give equal bytes.

Sorted entries, fixed timestamps and modes, written atomically over the previous zip.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .common import display

ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644


@dataclass(frozen=True)
class Built:
    path: Path
    files: int
    size: int

    def describe(self) -> str:
        shown = display(self.path)
        return f"{shown}: {self.size / 1_000_000:.2f} MB ({self.size} bytes, {self.files} files)"


def write_zip(
    out: Path, entries: dict[str, Path], comment: bytes = b"", programs: frozenset[str] = frozenset()
) -> Built:
    """Write `entries` (zip name → file) reproducibly, atomically replacing `out`; the names in `programs` are
    executable whatever their file's mode (an installation may not have kept it)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        with zipfile.ZipFile(partial, "w") as archive:
            for name in sorted(entries):
                info = zipfile.ZipInfo(name, ZIP_TIMESTAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Unix, so the mode bits below are read as such
                mode = FILE_MODE | 0o111 if name in programs else _mode(entries[name])
                info.external_attr = mode << 16
                archive.writestr(info, entries[name].read_bytes(), compresslevel=9)
            archive.comment = comment
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return Built(out, len(entries), out.stat().st_size)


def _mode(path: Path) -> int:
    """0644, or 0755 for a file pip left executable (a bundled program a package runs)."""
    return FILE_MODE | 0o111 if path.stat().st_mode & 0o100 else FILE_MODE
