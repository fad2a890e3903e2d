"""The ignore rules: what of a function's folder stays out of its zip, and why.

The default exclusions, then the folder's `.lambdaignore`, both in .gitignore's syntax as pathspec reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .common import PYTHON_VERSION, display

if TYPE_CHECKING:
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

# Beside routes.py: more of the function's folder to leave out, in .gitignore's syntax.
IGNORE_FILE = ".lambdaignore"
# Everything in the function's folder ships except these (.gitignore patterns, read before the ignore file's,
# which may re-include any of them with `!`), virtualenvs (any folder holding `pyvenv.cfg`) and bytecode that
# Lambda's Python cannot load (see `_foreign_bytecode`). By kind, as the README lists them.
FUNCTION_EXCLUSIONS: dict[str, tuple[str, ...]] = {
    "caches": (
        "__pycache__/",
        ".pytest_cache/",
        ".mypy_cache/",
        ".ruff_cache/",
        ".hypothesis/",
        ".tox/",
        ".nox/",
        ".pytype/",
        ".ipynb_checkpoints/",
    ),
    "virtualenvs": (".venv/", "venv/"),
    "version control": (".git", ".hg/", ".svn/", ".gitignore", ".gitattributes"),
    "tests and their reports": ("tests/", "conftest.py", ".coverage", ".coverage.*", "htmlcov/"),
    "build outputs": ("/build/", "/dist/", "*.egg-info/"),
    "local secrets": (".env", ".env.*", ".envrc"),
    "editor and OS files": (".DS_Store", "Thumbs.db", "*.swp", "*.swo", "*~", ".idea/", ".vscode/"),
    "the build's own inputs": ("/requirements*.txt", f"/{IGNORE_FILE}", "/pyproject.toml"),
    # A project's deployment lives beside its code (`flask-lambda new` writes main.tf there) and stays home.
    "Terraform": (
        "*.tf",
        "*.tf.json",
        "*.tfvars",
        "*.tfvars.json",
        "*.tfstate",
        "*.tfstate.*",
        "*.tfplan",
        ".terraform/",
        ".terraform.lock.hcl",
    ),
}
# The first bytes of a pyc of Python 3.13 (importlib.util.MAGIC_NUMBER there), the only bytecode Lambda loads.
PYC_MAGIC = (3571).to_bytes(2, "little") + b"\r\n"


@dataclass(frozen=True)
class IgnoreRule:
    """One line of .gitignore's syntax, read by pathspec, applied as git applies it while walking a folder.

    pathspec's pattern matches a path and everything below it. git tests each file and folder on its own, and
    never looks inside a folder it left out; so a rule decides for a path only where it names that path itself.
    """

    pattern: GitIgnoreSpecPattern
    source: str  # where it was written, for messages

    @classmethod
    def parse(cls, line: str, source: str) -> IgnoreRule | None:
        """The rule of a line; None for blank lines, comments and patterns git cannot read (a range `[z-a]`)."""
        # The packaging tool's alone: `./build.sh package --help` runs on a Python without the dev venv.
        from pathspec.patterns.gitignore.base import GitIgnorePatternError
        from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

        try:
            pattern = GitIgnoreSpecPattern(line)
        except GitIgnorePatternError:
            return None
        return cls(pattern, source) if pattern.include is not None else None

    @property
    def negated(self) -> bool:
        """`!pattern`: re-included."""
        return self.pattern.include is False

    def matches(self, name: str, folder: bool) -> bool:
        regex = self.pattern.regex
        if regex is None:  # blank lines and comments make no rule: see `parse`
            return False
        if regex.groupindex:
            # pathspec marks with a group where the path a pattern names ends (`name`, or `name/` for a folder,
            # rather than a folder above it): the match must reach the end of the path.
            return re.search(rf"(?:{regex.pattern})\Z", f"{name}/" if folder else name) is not None
        # No such end: the pattern names everything below a folder (`x/**`, not x itself) or anything (`*`, `**`),
        # so what holds this path decides: its folder, or the function's folder ("/").
        return regex.search(name.rpartition("/")[0] + "/") is not None


@dataclass(frozen=True)
class Exclusions:
    """What stays out of a function's zip: the default rules, then its ignore file's; the last match decides."""

    rules: tuple[IgnoreRule, ...]
    output: Path | None = None  # the build's own output folder, resolved

    @classmethod
    def of(cls, function_dir: Path, output: Path | None = None) -> Exclusions:
        lines = [
            (pattern, f"the default exclusion {pattern}")
            for patterns in FUNCTION_EXCLUSIONS.values()
            for pattern in patterns
        ]
        ignore_file = function_dir / IGNORE_FILE
        if ignore_file.is_file():
            shown = display(ignore_file)
            lines += [
                (line, f"line {number} of {shown} ({line.strip()})")
                for number, line in enumerate(ignore_file.read_text(encoding="utf-8").splitlines(), 1)
            ]
        rules = (IgnoreRule.parse(line, source) for line, source in lines)
        return cls(tuple(rule for rule in rules if rule is not None), output.resolve() if output else None)

    def reason(self, name: str, path: Path) -> str | None:
        """Why the file or folder `name` (at `path`) stays out, or None if it ships (its folders aside)."""
        folder = path.is_dir()
        if folder and (path / "pyvenv.cfg").is_file():
            return "a virtualenv (it holds pyvenv.cfg)"
        if folder and self.output is not None and path.resolve() == self.output:
            return "the folder the zips go to"
        if not folder and path.suffix in (".pyc", ".pyo") and _foreign_bytecode(path):
            return f"bytecode of another Python than Lambda's {PYTHON_VERSION}"
        decided = None
        for rule in self.rules:
            if rule.matches(name, folder):
                decided = rule
        return None if decided is None or decided.negated else decided.source

    def reason_for_path(self, function_dir: Path, name: str) -> str | None:
        """Why `name` stays out, its own rule or its closest folder's."""
        parts = name.split("/")
        for depth in range(1, len(parts) + 1):
            partial = "/".join(parts[:depth])
            why = self.reason(partial, function_dir / partial)
            if why is not None:
                return why
        return None


def _foreign_bytecode(path: Path) -> bool:
    """A `.pyc` (outside `__pycache__`, a module shipped without its source) of another Python, or a `.pyo`."""
    if path.suffix == ".pyo":
        return True
    with path.open("rb") as file:
        return file.read(len(PYC_MAGIC)) != PYC_MAGIC
