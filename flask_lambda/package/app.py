"""The app check: the module `LAMBDA_WSGI_APP` names must ship and bind its attribute at the top level.

A static check, before anything is built, of what the layer would find at a cold start.
"""

from __future__ import annotations

import ast
from pathlib import Path

from lambda_wsgi.settings import APP_VARIABLE, DEFAULT_APP

from .common import PackageError, display
from .ignore import Exclusions


def check_app(function_dir: Path, files: dict[str, Path], app: str, exclusions: Exclusions) -> None:
    """Stop the build unless the module `app` names ships and binds its attribute at the top level.

    A static check, as the layer would find it at a cold start: an assignment (annotated too), a def or class,
    an import, anywhere but inside a function or class. `from x import *` or a module `__getattr__` may bind
    any name, so they pass.
    """
    module, colon, attribute = app.partition(":")
    if not colon or not all(part.isidentifier() for part in module.split(".")) or not attribute.isidentifier():
        raise PackageError(
            f"the app {app!r} (--app, {APP_VARIABLE}) is not of the form module:attribute, such as {DEFAULT_APP}"
        )
    base = module.replace(".", "/")
    candidates = (f"{base}/__init__.py", f"{base}.py")  # a package first, as Python's import looks
    name = next((candidate for candidate in candidates if candidate in files), None)
    if name is None:
        for candidate in candidates:
            why = exclusions.reason_for_path(function_dir, candidate)
            if why is not None and (function_dir / candidate).is_file():
                shown = display(function_dir / candidate)
                raise PackageError(f"{shown} is left out by {why}, but it holds the app {app}")
        shown = display(function_dir / candidates[1])
        if app == DEFAULT_APP:
            raise PackageError(
                f"{shown} is missing: the function's code is a Flask Blueprint named `routes` in routes.py "
                "(to serve another app: --app module:attribute)"
            )
        raise PackageError(f"{shown} is missing: the app {app} (--app, {APP_VARIABLE}) is `{attribute}` in it")
    names, open_ended = _top_level_names(parse_module(files[name]))
    if attribute not in names and not open_ended:
        raise PackageError(
            f"{display(files[name])} does not define `{attribute}` at its top level, but the app {app} is that "
            f"name: assign it there (such as `{attribute} = Blueprint(...)`) or name yours with --app module:attribute"
        )


# Code inside these runs in a scope of its own: what it assigns is not the module's.
_NEW_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def _top_level_names(tree: ast.Module) -> tuple[set[str], bool]:
    """The names a module binds at its top level, and whether it may bind others (`import *`, `__getattr__`)."""
    names = {name for node in ast.walk(tree) if isinstance(node, ast.Global) for name in node.names}
    open_ended = False
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            open_ended |= node.name == "__getattr__" and not isinstance(node, ast.ClassDef)
        elif isinstance(node, ast.Import):
            names.update(alias.asname or alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            open_ended |= any(alias.name == "*" for alias in node.names)
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
        if isinstance(node, _NEW_SCOPES) or (isinstance(node, ast.AnnAssign) and node.value is None):
            continue  # `name: T` alone declares a type and binds nothing
        pending.extend(ast.iter_child_nodes(node))
    return names, open_ended


def parse_module(path: Path) -> ast.Module:
    try:
        return ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as error:
        raise PackageError(f"{display(path)}:{error.lineno}: syntax error: {error.msg}") from None
