"""Fixtures for the packaging tests: the zips the command builds, once for all of them.

Two default builds (arm64), a `--no-bytecode` one, and a layer for this machine's architecture.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flask_lambda import package
from tests.flask_lambda.package.helpers import run_package, sample_function_dir


@pytest.fixture(scope="package")
def builds(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str]]:
    """Two independent default builds: (output folder, what the command printed).

    Each runs under its own hash seed: set and dict orders must not reach the bytecode. The second runs from
    another directory, every path given relative to it, as a user types them: the same zips must come out.
    """
    first = tmp_path_factory.mktemp("first")
    completed = run_package("--out-dir", str(first), "--function-dir", str(sample_function_dir()), hash_seed="1")
    assert completed.returncode == 0, completed.stderr
    results = [(first, completed.stdout)]
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    relative = [
        *("--out-dir", "second"),
        *("--function-dir", os.path.relpath(sample_function_dir(), elsewhere)),
        *("--requirements", os.path.relpath(package.LAYER_REQUIREMENTS, elsewhere)),
    ]
    completed = run_package(*relative, hash_seed="2", cwd=elsewhere)
    assert completed.returncode == 0, completed.stderr
    results.append((elsewhere / "second", completed.stdout))
    return results


@pytest.fixture(scope="package")
def sources_only(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A `--no-bytecode` build: (output folder, what the command printed)."""
    out = tmp_path_factory.mktemp("sources-only")
    completed = run_package("--out-dir", str(out), "--function-dir", str(sample_function_dir()), "--no-bytecode")
    assert completed.returncode == 0, completed.stderr
    return out, completed.stdout


@pytest.fixture(scope="package")
def host_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default layer for this machine's architecture, so its native code loads here."""
    return package.build_layer(tmp_path_factory.mktemp("host") / "layer.zip", package.host_architecture()).path
