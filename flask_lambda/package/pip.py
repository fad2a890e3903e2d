"""pip: requirements installed for Lambda's platform (Python 3.13, manylinux arm64 or x86_64, wheels only).

Also the platform tags Lambda's Amazon Linux loads, and what pip's failures say of a conflict with the layer.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .common import PYTHON_VERSION, PackageError, display

ARCHITECTURES = {"arm64": "aarch64", "x86_64": "x86_64"}
# The Lambda Python 3.13 runtime is Amazon Linux 2023 (glibc 2.34): any manylinux wheel up to 2_34 runs there.
GLIBC_MINORS = range(34, 16, -1)


def host_architecture() -> str:
    """The Lambda architecture name of this machine, so locally served layers load their native code."""
    machine = os.uname().machine.lower()
    known = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}
    if machine in known:
        return known[machine]
    raise PackageError(f"this machine's architecture ({machine}) is neither of Lambda's (arm64, x86_64)")


def pip_platforms(arch: str) -> list[str]:
    machine = ARCHITECTURES[arch]
    return [f"manylinux_2_{minor}_{machine}" for minor in GLIBC_MINORS] + [f"manylinux2014_{machine}"]


def install(requirements: Path, target: Path, arch: str, *, layer_versions: dict[str, str] | None = None) -> None:
    """pip installs `requirements` into `target` for Lambda: the layer's complete pins, checked against their hashes,
    or a function's requirements, constrained to the layer's versions (`layer_versions`).

    pip runs in the requirements file's folder, so the paths written in it (a local wheel) are read from there,
    wherever the build was started.
    """
    requirements, target = requirements.absolute(), target.absolute()
    command = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-input"]
    command += ["--progress-bar", "off", "--target", str(target), "--requirement", str(requirements), "--no-compile"]
    if layer_versions is None:
        # What the layer ships: exactly the files its pins name, whatever index this machine's pip is set up with.
        command += ["--require-hashes", "--no-deps"]
    else:
        constraints = target.with_name(f"{target.name}-constraints.txt")
        constraints.write_text("".join(f"{name}=={version}\n" for name, version in sorted(layer_versions.items())))
        command += ["--constraint", str(constraints)]
    command += ["--only-binary=:all:", "--implementation", "cp", "--python-version", PYTHON_VERSION]
    for platform in pip_platforms(arch):
        command += ["--platform", platform]
    completed = subprocess.run(command, capture_output=True, text=True, check=False, cwd=requirements.parent)
    if completed.returncode == 0:
        return
    lines = [
        line
        for line in (completed.stdout + completed.stderr).splitlines()
        # This machine's pip configuration names index folders that may not exist; pip notes each one.
        if line.strip() and not line.startswith("WARNING: Location ")
    ]
    conflicts = _layer_conflicts(lines, layer_versions or {})
    if conflicts:
        raise PackageError(
            f"{display(requirements)} conflicts with the layer: {'; '.join(conflicts)} (the function imports the "
            "layer's copy: ask for the layer's version or leave the package to the layer)"
        )
    # What pip reports from its first error on (its progress lines before it say nothing of the failure).
    first_error = next((index for index, line in enumerate(lines) if line.startswith("ERROR")), 0)
    raise PackageError(
        f"pip could not install {display(requirements)} for Python {PYTHON_VERSION} on "
        f"manylinux {arch} (binary wheels only):\n" + "\n".join(lines[first_error:])
    )


# How pip explains a resolution that failed ("The conflict is caused by:"), one line per requirement.
_PIP_REQUESTED = re.compile(r"\s*The user requested (?!\(constraint\))(?P<requirement>\S.*)")
_PIP_DEPENDS = re.compile(r"\s*(?P<parent>\S+ \S+) depends on (?P<requirement>\S.*)")


def _layer_conflicts(pip_output: list[str], layer_versions: dict[str, str]) -> list[str]:
    """Each requirement in pip's explanation of a conflict that names a distribution of the layer."""
    conflicts: dict[str, None] = {}
    for line in pip_output:
        match = _PIP_REQUESTED.fullmatch(line) or _PIP_DEPENDS.fullmatch(line)
        if match is None:
            continue
        requirement = match["requirement"].strip()
        name = normalise(re.split(r"[^A-Za-z0-9._-]", requirement, maxsplit=1)[0])
        if name in layer_versions:
            who = f"{match['parent']} depends on" if "parent" in match.groupdict() else "it asks for"
            conflicts[f"{who} {requirement}, but the layer holds {name} {layer_versions[name]}"] = None
    return list(conflicts)


def normalise(distribution: str) -> str:
    """A distribution name as packaging compares them (PEP 503): `Flask_Cors` is `flask-cors`."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


# A requirement of a compiled requirements file: `name==version`, its hashes on the continuation lines below.
_PINNED = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(?P<version>[^\s;\\]+)")


def pinned_blocks(requirements: Path) -> dict[str, tuple[str, str]]:
    """Each pinned distribution of a requirements file (normalised name) -> (version, its lines with hashes)."""
    blocks: dict[str, tuple[str, str]] = {}
    current: list[str] = []
    name = version = ""
    for line in [*requirements.read_text(encoding="utf-8").splitlines(), ""]:
        if current and current[-1].endswith("\\"):
            current.append(line)
            continue
        if current:
            blocks[normalise(name)] = (version, "\n".join(current))
            current = []
        match = _PINNED.match(line)
        if match:
            name, version, current = match["name"], match["version"], [line]
    return blocks


def pinned_versions(requirements: Path) -> dict[str, str]:
    """Normalised distribution name -> the version `requirements` pins it to."""
    return {name: version for name, (version, _) in pinned_blocks(requirements).items()}
