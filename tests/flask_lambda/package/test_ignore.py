"""The ignore rules: the default exclusions and `.lambdaignore`, read as git reads .gitignore."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from flask_lambda import package
from tests.flask_lambda.package.helpers import pyc_with_magic, shipped_files, write_tree

pytestmark = pytest.mark.slow


# One file each default exclusion leaves out (by the pattern that matches it), and files like them that ship.
EXCLUDED = {
    "__pycache__/": "__pycache__/routes.cpython-313.pyc",
    ".pytest_cache/": ".pytest_cache/v/cache/nodeids",
    ".mypy_cache/": ".mypy_cache/3.13/routes.data.json",
    ".ruff_cache/": ".ruff_cache/CACHEDIR.TAG",
    ".hypothesis/": ".hypothesis/examples/0a/1b",
    ".tox/": ".tox/py313/log.txt",
    ".nox/": ".nox/tests/log.txt",
    ".pytype/": ".pytype/pyi/routes.pyi",
    ".ipynb_checkpoints/": "notebooks/.ipynb_checkpoints/explore-checkpoint.ipynb",
    ".venv/": ".venv/lib/python3.13/site-packages/flask/__init__.py",
    "venv/": "venv/bin/python",
    ".git": ".git/HEAD",
    ".hg/": ".hg/store/data",
    ".svn/": ".svn/entries",
    ".gitignore": ".gitignore",
    ".gitattributes": ".gitattributes",
    "tests/": "shop/tests/test_cart.py",
    "conftest.py": "conftest.py",
    ".coverage": ".coverage",
    ".coverage.*": ".coverage.host.1234",
    "htmlcov/": "htmlcov/index.html",
    "/build/": "build/lib/routes.py",
    "/dist/": "dist/site-1.0.tar.gz",
    "*.egg-info/": "site.egg-info/PKG-INFO",
    ".env": "config/.env",
    ".env.*": ".env.production",
    ".envrc": ".envrc",
    ".DS_Store": "static/.DS_Store",
    "Thumbs.db": "static/Thumbs.db",
    "*.swp": ".routes.py.swp",
    "*.swo": ".routes.py.swo",
    "*~": "routes.py~",
    ".idea/": ".idea/workspace.xml",
    ".vscode/": ".vscode/settings.json",
    "/requirements*.txt": "requirements-dev.txt",
    "/.lambdaignore": ".lambdaignore",
    "/pyproject.toml": "pyproject.toml",
    "*.tf": "main.tf",
    "*.tf.json": "override.tf.json",
    "*.tfvars": "prod.tfvars",
    "*.tfvars.json": "terraform.tfvars.json",
    "*.tfstate": "terraform.tfstate",
    "*.tfstate.*": "terraform.tfstate.backup",
    "*.tfplan": "release.tfplan",
    ".terraform/": ".terraform/providers/README",
    ".terraform.lock.hcl": ".terraform.lock.hcl",
}


KEPT = [
    "static/dist/app.js",  # only a dist/ or build/ at the function's root is a build output
    "docs/build/index.html",
    "static/.well-known/security.txt",  # hidden files ship unless listed
    "data/.defaults.json",
    "templates/tests.html",  # tests/ is a folder: a file of that name ships
    "shop/requirements.txt",  # the build input is the requirements.txt beside routes.py
    "vendor/pyproject.toml",  # only the project's own settings stay home
    "environment.py",
    "git_helpers.py",
]


def test_every_default_exclusion_is_tested() -> None:
    listed = [pattern for patterns in package.FUNCTION_EXCLUSIONS.values() for pattern in patterns]
    assert sorted(listed) == sorted(EXCLUDED)


@pytest.mark.parametrize(("pattern", "name"), EXCLUDED.items(), ids=list(EXCLUDED))
def test_a_default_exclusion_leaves_its_files_out_and_says_so(tmp_path: Path, pattern: str, name: str) -> None:
    function_dir = write_tree(tmp_path, {name: "", **dict.fromkeys(KEPT, "")})
    assert shipped_files(function_dir) == {"routes.py", *KEPT}
    exclusions = package.Exclusions.of(function_dir)
    assert exclusions.reason_for_path(function_dir, name) == f"the default exclusion {pattern}"


def test_virtualenvs_and_bytecode_lambda_cannot_load_stay_out(tmp_path: Path) -> None:
    """A virtualenv is any folder holding pyvenv.cfg; a pyc outside __pycache__ ships only if 3.13 loads it."""
    assert importlib.util.MAGIC_NUMBER == package.PYC_MAGIC  # this is Python 3.13, as Lambda's
    older = (3495).to_bytes(2, "little") + b"\r\n"  # Python 3.12's
    function_dir = write_tree(
        tmp_path,
        {
            "env/pyvenv.cfg": "home = /usr/bin\n",
            "env/lib/python3.13/site-packages/flask/__init__.py": "",
            "legacy.pyc": pyc_with_magic(older),
            "old.pyo": pyc_with_magic(package.PYC_MAGIC),
            "sourceless.pyc": pyc_with_magic(package.PYC_MAGIC),
        },
    )
    assert shipped_files(function_dir) == {"routes.py", "sourceless.pyc"}
    exclusions = package.Exclusions.of(function_dir)
    assert exclusions.reason_for_path(function_dir, "env/lib") == "a virtualenv (it holds pyvenv.cfg)"
    assert exclusions.reason_for_path(function_dir, "legacy.pyc") == "bytecode of another Python than Lambda's 3.13"


def test_the_ignore_file_reads_gitignore_syntax(tmp_path: Path) -> None:
    ignore = """\
# comments and blank lines are skipped

*.md
!README.md
/local.cfg
drafts/
!drafts/keep.html
secret?.txt
img[0-9].png
**/fixtures/**
docs/**/*.tmp
!.env.example
!tests/
\\#notes.txt
trailing.txt   \n"""
    left_out = [
        "notes.md",
        "templates/notes.md",
        "local.cfg",
        "drafts/page.html",
        "drafts/keep.html",  # as in git: nothing inside a folder left out comes back
        "templates/drafts/old.html",
        "secret1.txt",
        "img3.png",
        "fixtures/users.json",
        "shop/fixtures/deep/cart.json",
        "docs/a.tmp",
        "docs/a/b/c.tmp",
        "#notes.txt",
        "trailing.txt",
        ".env",
    ]
    kept = [
        "README.md",
        "templates/README.md",
        "shop/local.cfg",  # a leading / anchors to the folder
        "static/drafts",  # a trailing / matches folders only: this is a file
        "secret12.txt",
        "imgA.png",
        "docs/a.txt",
        ".env.example",  # negation re-includes what a default left out
        "tests/fixture.txt",
        "# comments and blank lines are skipped",
    ]
    function_dir = write_tree(tmp_path, {".lambdaignore": ignore, **dict.fromkeys(left_out + kept, "")})
    assert shipped_files(function_dir) == {"routes.py", *kept}
    exclusions = package.Exclusions.of(function_dir)
    assert exclusions.reason_for_path(function_dir, "drafts/keep.html") == (
        f"line 6 of {package.display(function_dir / '.lambdaignore')} (drafts/)"
    )


# .gitignore files whose reading git and pathspec's own matching tell apart: (rules, files). git never looks
# inside a folder it left out, and decides each path by the rules that name that very path.
GIT_CASES = {
    "`x/**` names what is in x, not x": (["fixtures/**", "!fixtures/keep.json"], ["fixtures/keep.json", "fixtures/b"]),
    "a folder left out keeps its files out": (["drafts/", "!drafts/keep.html"], ["drafts/keep.html", "drafts/a"]),
    "a re-included folder's own rules still apply": (
        ["tests/", "__pycache__/", "conftest.py", "!tests/"],
        ["tests/conftest.py", "tests/__pycache__/x.pyc", "tests/a.py"],
    ),
    "`*` names every file, even in a re-included folder": (["*", "!keep/"], ["keep/a", "b"]),
    "`*/` names folders only": (["*/"], ["a", "b/c"]),
    "`*` then `!*/`, `!keep/**`": (["*", "!*/", "!keep/**"], ["keep/a", "b", "x/c"]),
    "`foo/*` and a re-included folder": (["foo/*", "!foo/bar/"], ["foo/bar/hello.c", "foo/x"]),
    "anchored in the middle": (["a/b"], ["a/b/c", "x/a/b", "y/a/b/c"]),
    "`**` in the middle": (["a/**/b"], ["a/b", "a/x/b", "a/x/y/b/c", "c/a/b"]),
    "`/**` and a negation": (["/**", "!keep"], ["a", "keep", "b/keep"]),
    "classes, escapes and trailing spaces": (
        ["img[0-9].png", "x[!ab].txt", "\\!x", "\\#y", "z  "],
        ["img3.png", "imgA.png", "xc.txt", "xa.txt", "!x", "#y", "z", "z2"],
    ),
}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize(("rules", "files"), GIT_CASES.values(), ids=list(GIT_CASES))
def test_the_ignore_file_leaves_out_what_git_leaves_out(tmp_path: Path, rules: list[str], files: list[str]) -> None:
    """git itself is the oracle: what `git ls-files --others --exclude-standard` lists is what ships."""
    function_dir = write_tree(tmp_path / "function", dict.fromkeys(files, ""))
    (function_dir / ".lambdaignore").write_text("".join(f"{rule}\n" for rule in rules))
    exclusions = package.Exclusions.of(function_dir)
    shipped = {name for name in files if exclusions.reason_for_path(function_dir, name) is None}

    oracle = write_tree(tmp_path / "git", dict.fromkeys(files, ""))
    (oracle / "routes.py").unlink()
    (oracle / ".gitignore").write_text("".join(f"{rule}\n" for rule in rules))
    git = ["git", "-c", "core.excludesFile=/dev/null", "-C", str(oracle)]
    subprocess.run([*git, "init", "--quiet"], check=True)
    listed = subprocess.run(
        [*git, "ls-files", "--others", "--exclude-standard", "-z"], capture_output=True, text=True, check=True
    ).stdout
    assert shipped == {name for name in listed.split("\0") if name} - {".gitignore"}
