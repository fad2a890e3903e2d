"""`flask-lambda new DIR`: the smallest project that serves, tests, packages and deploys as written.

The Terraform module travels with the project (copied, with the version it came from), so `terraform init`
needs nothing beyond the AWS provider; `--module-source` names another source (a git URL) instead.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template

from .project import resource_name
from .resources import SCAFFOLD_DIR, TERRAFORM_MODULE, distribution_version

MODULE_DIR = Path("modules") / "flask-function"
# Template names that would be hidden, or read by tools, under their own names in this package.
_RENAMED = {"gitignore.tmpl": ".gitignore", "lambdaignore.tmpl": ".lambdaignore"}


class NewError(Exception):
    """A project that cannot be written where asked; the message says why."""


@dataclass(frozen=True)
class Created:
    folder: Path
    name: str
    files: tuple[Path, ...]


def create(folder: Path, *, name: str | None = None, module_source: str | None = None) -> Created:
    """Write the project into `folder`, which must not exist or be empty."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise NewError(f"{folder} exists and is not empty: give a new folder, or an empty one")
    name = name or resource_name(folder.resolve().name)
    if resource_name(name) != name:
        raise NewError(
            f"the name {name!r} must be lowercase letters, digits and hyphens, such as {resource_name(name)!r}"
        )
    release = distribution_version()
    values = {"name": name, "version": release, "module_source": module_source or f"./{MODULE_DIR.as_posix()}"}
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for template in sorted(SCAFFOLD_DIR.rglob("*.tmpl")):
        relative = template.relative_to(SCAFFOLD_DIR)
        target = folder / relative.parent / _RENAMED.get(relative.name, relative.name.removesuffix(".tmpl"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(template.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
        written.append(target)
    if module_source is None:
        module = folder / MODULE_DIR
        shutil.copytree(TERRAFORM_MODULE, module, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
        (module / "VERSION").write_text(f"flask-lambda {release}\n", encoding="utf-8")
        written += sorted(path for path in module.rglob("*") if path.is_file())
    return Created(folder, name, tuple(written))


def argument_parser(prog: str = "flask-lambda new") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Write a new Flask-on-Lambda project: routes.py, a test, pyproject.toml's settings and a "
        "main.tf that deploys it with the flask-function Terraform module.",
    )
    parser.add_argument("folder", type=Path, help="where to write it (must not exist, or be empty)")
    parser.add_argument("--name", help="the function's name on AWS (default: the folder's name, lowercased)")
    parser.add_argument(
        "--module-source",
        help="the Terraform module's source in main.tf, such as a git URL "
        "(default: a copy in modules/flask-function, so terraform init needs no network beyond the AWS provider)",
    )
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "flask-lambda new") -> int:
    parser = argument_parser(prog)
    args = parser.parse_args(argv)
    try:
        created = create(args.folder, name=args.name, module_source=args.module_source)
    except NewError as error:
        parser.exit(2, f"{prog}: {error}\n")
    shown = created.folder
    print(f"Created {created.name} in {shown} ({len(created.files)} files). Next:")
    print(f"  cd {shown}")
    print("  flask-lambda serve                 # then: curl -i http://127.0.0.1:8000/")
    print("  flask-lambda package && terraform init && terraform apply")
    return 0
