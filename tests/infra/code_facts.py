"""What the Python code needs from its deployment, read from the source with `ast`.

The environment variables it reads, the DynamoDB calls it makes and the routes it serves, so the Terraform checks
compare against the code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import botocore.session
from botocore import xform_name

# Set by the Lambda runtime itself (AWS's "defined runtime environment variables"); a function
# cannot set them, so code that reads them needs nothing from Terraform.
RUNTIME_VARIABLES = frozenset({"LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ", "LANG", "PATH", "LD_LIBRARY_PATH"})
RUNTIME_PREFIXES = ("AWS_", "_")
# Set within the process, not by a deployment: Flask's FlaskGroup sets this one while a command runs, and the layer
# only puts back what it found.
PROCESS_VARIABLES = frozenset({"FLASK_RUN_FROM_CLI"})

# A transaction has no IAM action of its own: each item is authorised as the single-item action.
TRANSACTION_ITEM_ACTIONS = {
    "TransactWriteItems": {
        "Put": "PutItem",
        "Update": "UpdateItem",
        "Delete": "DeleteItem",
        "ConditionCheck": "ConditionCheckItem",
    },
    "TransactGetItems": {"Get": "GetItem"},
}
# boto3 helpers that call an operation under another name.
HELPER_OPERATIONS = {"batch_writer": "BatchWriteItem"}


class UnreadableCodeError(Exception):
    """The code does something these readers cannot resolve statically; they refuse to guess."""


@cache
def dynamodb_operations() -> dict[str, str]:
    """boto3 method name (snake_case) → DynamoDB API operation, from botocore's own service model."""
    model = botocore.session.get_session().get_service_model("dynamodb")
    return {xform_name(name): name for name in model.operation_names}


@dataclass
class Source:
    path: Path
    tree: ast.Module

    @classmethod
    def read(cls, path: Path) -> Source:
        return cls(path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))


def read_sources(paths: Iterable[Path]) -> list[Source]:
    return [Source.read(path) for path in sorted(paths)]


def _string_constants(sources: list[Source]) -> dict[str, set[str]]:
    """Module-level `NAME = "text"` assignments of every source, so names used as arguments resolve."""
    constants: dict[str, set[str]] = {}
    for source in sources:
        for node in source.tree.body:
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            else:
                continue
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                for target in targets:
                    if isinstance(target, ast.Name):
                        constants.setdefault(target.id, set()).add(value.value)
    return constants


def _resolve(node: ast.expr, constants: dict[str, set[str]], source: Source, what: str) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    where = f"{source.path}:{node.lineno}"
    raise UnreadableCodeError(f"{where}: cannot tell which {what} `{ast.unparse(node)}` names; use a string constant")


def _is_os_environ(node: ast.expr, bare_environ: bool) -> bool:
    """`os.environ`, or a bare `environ` where the module did `from os import environ`."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id == "os"
    return bare_environ and isinstance(node, ast.Name) and node.id == "environ"


def _imports_from_os(tree: ast.Module, name: str) -> bool:
    return any(
        isinstance(node, ast.ImportFrom) and node.module == "os" and any(alias.name == name for alias in node.names)
        for node in ast.walk(tree)
    )


def _environment_reads(source: Source) -> Iterator[ast.expr]:
    """The name argument of every read of the process environment in one module."""
    bare_environ = _imports_from_os(source.tree, "environ")
    bare_getenv = _imports_from_os(source.tree, "getenv")
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            reads_environ = (
                isinstance(func, ast.Attribute)
                and func.attr in {"get", "setdefault", "pop"}
                and _is_os_environ(func.value, bare_environ)
            )
            getenv = (
                isinstance(func, ast.Attribute)
                and func.attr == "getenv"
                and isinstance(func.value, ast.Name)
                and func.value.id == "os"
            ) or (bare_getenv and isinstance(func, ast.Name) and func.id == "getenv")
            if reads_environ or getenv:
                yield node.args[0]
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and _is_os_environ(node.value, bare_environ)
        ):
            yield node.slice
        elif (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], ast.In | ast.NotIn)
            and _is_os_environ(node.comparators[0], bare_environ)
        ):
            yield node.left


def environment_variables(sources: list[Source]) -> set[str]:
    """Every environment variable name the code reads (os.environ[...], .get, os.getenv, `in`)."""
    constants = _string_constants(sources)
    names: set[str] = set()
    for source in sources:
        for argument in _environment_reads(source):
            names |= _resolve(argument, constants, source, "environment variable")
    return names


def is_runtime_variable(name: str) -> bool:
    """Whether the runtime or the process itself sets `name`, so that code reading it needs nothing from Terraform."""
    return name in RUNTIME_VARIABLES or name in PROCESS_VARIABLES or name.startswith(RUNTIME_PREFIXES)


# --- DynamoDB calls ----------------------------------------------------------------------------------------


@dataclass
class _Definitions:
    """Functions (methods and nested ones included) and classes by bare name, across all sources."""

    functions: dict[str, list[tuple[Source, ast.FunctionDef | ast.AsyncFunctionDef]]] = field(default_factory=dict)
    classes: dict[str, list[ast.ClassDef]] = field(default_factory=dict)
    # Functions that call `getattr(obj, <parameter>)(...)`: name → the parameter's position at call sites.
    dispatchers: dict[str, tuple[int, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, sources: list[Source]) -> _Definitions:
        found = cls()
        methods: set[int] = set()
        for source in sources:
            for node in ast.walk(source.tree):
                if isinstance(node, ast.ClassDef):
                    found.classes.setdefault(node.name, []).append(node)
                    for item in node.body:
                        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                            methods.add(id(item))
                            found._add_function(source, item, is_method=True)
        for source in sources:
            for node in ast.walk(source.tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and id(node) not in methods:
                    found._add_function(source, node, is_method=False)
        return found

    def _add_function(self, source: Source, node: ast.FunctionDef | ast.AsyncFunctionDef, is_method: bool) -> None:
        self.functions.setdefault(node.name, []).append((source, node))
        parameters = [argument.arg for argument in node.args.posonlyargs + node.args.args]
        for inner in ast.walk(node):
            if (
                isinstance(inner, ast.Call)
                and isinstance(inner.func, ast.Name)
                and inner.func.id == "getattr"
                and len(inner.args) >= 2
                and isinstance(inner.args[1], ast.Name)
                and inner.args[1].id in parameters
            ):
                position = parameters.index(inner.args[1].id)
                if is_method and parameters and parameters[0] in {"self", "cls"}:
                    position -= 1
                self.dispatchers[node.name] = (position, inner.args[1].id)


def _module_level_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """What runs at import: everything but the bodies of functions and methods."""
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from statement.decorator_list
        elif isinstance(statement, ast.ClassDef):
            yield from statement.decorator_list
            yield from statement.bases
            for item in statement.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield from item.decorator_list
                else:
                    yield item
        else:
            yield statement


def _reachable_nodes(sources: list[Source], definitions: _Definitions) -> list[tuple[Source, ast.AST]]:
    """Code that can run: import-time code, decorated functions (views, handlers) and whatever they name.

    Names are followed by their bare identifier, so a reference to `create` reaches every function
    called `create`: an over-approximation that never misses a call, while helpers nothing uses
    (such as the table-creation function for local servers) stay out.
    """
    reached: list[tuple[Source, ast.AST]] = []
    seen: set[int] = set()
    queue: list[tuple[Source, ast.AST]] = []
    for source in sources:
        queue.extend((source, node) for node in _module_level_nodes(source.tree))
        for node in ast.walk(source.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.decorator_list:
                queue.append((source, node))
    while queue:
        source, node = queue.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        reached.append((source, node))
        for inner in ast.walk(node):
            name = inner.id if isinstance(inner, ast.Name) else inner.attr if isinstance(inner, ast.Attribute) else None
            if name is None:
                continue
            queue.extend(definitions.functions.get(name, ()))
            for class_node in definitions.classes.get(name, ()):
                # Instantiating or subclassing runs the special methods.
                for item in class_node.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("__"):
                        queue.extend(entry for entry in definitions.functions[item.name] if entry[1] is item)
    return reached


@dataclass(frozen=True)
class DynamoDBUse:
    operations: frozenset[str]  # API operation names, e.g. GetItem, TransactWriteItems
    transaction_items: frozenset[str]  # kinds used in transactions, e.g. Put, Delete

    def iam_actions(self) -> set[str]:
        actions: set[str] = set()
        for operation in self.operations:
            item_actions = TRANSACTION_ITEM_ACTIONS.get(operation)
            if item_actions is None:
                actions.add(f"dynamodb:{operation}")
                continue
            used = {item_actions[kind] for kind in self.transaction_items if kind in item_actions}
            if not used:
                raise UnreadableCodeError(f"{operation} is called but no transaction item kind was found in the code")
            actions |= {f"dynamodb:{action}" for action in used}
        return actions


def _clients_are_dynamodb(sources: list[Source]) -> None:
    """The readers below assume every AWS client the code makes is a DynamoDB one; check that."""
    for source in sources:
        for node in ast.walk(source.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"client", "resource"}
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"boto3", "session"}
            ):
                service = node.args[0] if node.args else None
                if not (isinstance(service, ast.Constant) and service.value == "dynamodb"):
                    raise UnreadableCodeError(f"{source.path}:{node.lineno}: an AWS client other than DynamoDB")


def dynamodb_use(sources: list[Source]) -> DynamoDBUse:
    """The DynamoDB operations the code can call, and the kinds of transaction items it builds.

    Calls are found as `<client>.<operation>(...)` (boto3's snake_case method names), as
    `getattr(client, "<operation>")`, as `get_paginator("<operation>")`, and through any function
    that dispatches with `getattr(client, <parameter>)`, whose call sites then name the operation.
    """
    _clients_are_dynamodb(sources)
    operations_by_method = dynamodb_operations()
    constants = _string_constants(sources)
    definitions = _Definitions.of(sources)
    operations: set[str] = set()
    kinds: set[str] = set()
    item_kinds = {kind for item_actions in TRANSACTION_ITEM_ACTIONS.values() for kind in item_actions}

    def named(argument: ast.expr, source: Source) -> None:
        for method in _resolve(argument, constants, source, "DynamoDB operation"):
            if method not in operations_by_method:
                raise UnreadableCodeError(f"{source.path}:{argument.lineno}: {method!r} is not a DynamoDB operation")
            operations.add(operations_by_method[method])

    for source, node in _reachable_nodes(sources, definitions):
        for inner in ast.walk(node):
            if isinstance(inner, ast.Dict):
                kinds |= {
                    key.value
                    for key in inner.keys
                    if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value in item_kinds
                }
            if not isinstance(inner, ast.Call):
                continue
            func = inner.func
            callee = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if isinstance(func, ast.Attribute) and callee in operations_by_method:
                operations.add(operations_by_method[callee])
            elif isinstance(func, ast.Attribute) and callee in HELPER_OPERATIONS:
                operations.add(HELPER_OPERATIONS[callee])
            elif callee == "getattr" and len(inner.args) >= 2 and isinstance(inner.args[1], ast.Constant):
                if inner.args[1].value in operations_by_method:
                    named(inner.args[1], source)
            elif callee == "get_paginator" and inner.args:
                named(inner.args[0], source)
            elif callee in definitions.dispatchers:
                position, parameter = definitions.dispatchers[callee]
                keyword = next((k.value for k in inner.keywords if k.arg == parameter), None)
                argument = keyword
                if argument is None and position < len(inner.args):
                    argument = inner.args[position]
                if argument is None:
                    raise UnreadableCodeError(f"{source.path}:{inner.lineno}: {callee}() called without an operation")
                named(argument, source)
    return DynamoDBUse(frozenset(operations), frozenset(kinds))


_VIEW_METHODS = {"get", "post", "put", "patch", "delete"}


def flask_routes(path: Path) -> list[tuple[str, str]]:
    """(method, path) of every view decorated with @<blueprint>.<method>(path) in the module at `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr in _VIEW_METHODS
                    and decorator.args
                    and isinstance(decorator.args[0], ast.Constant)
                ):
                    found.append((decorator.func.attr.upper(), str(decorator.args[0].value)))
    return found


def sample_path(flask_path: str) -> str:
    """A concrete path the Flask rule `flask_path` serves: each <converter:name> replaced by an id."""
    return re.sub(r"<[^>]+>", "some-id", flask_path)


def route_matches(route_key: str, method: str, path: str) -> bool:
    """Whether API Gateway sends a `method` request for `path` to the route `route_key` ("GET /users/{id}")."""
    if route_key == "$default":
        return True
    route_method, _, route_path = route_key.partition(" ")
    pattern = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", re.escape(route_path))
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
    return route_method in {"ANY", method} and re.fullmatch(pattern, path) is not None
