"""The Terraform configuration in infra/ and its module as Python data, parsed with python-hcl2.

infra/ is the users API's deployment: a call of the module in infra/modules/flask-function (which holds the layer,
function, alias, HTTP API, role and log groups) plus the table and the page token key.

Strings come back unquoted; expressions stay as `${...}` text, which the checks compare or search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

from tests.conftest import ROOT

INFRA_DIR = ROOT / "infra"
MODULE_DIR = INFRA_DIR / "modules" / "flask-function"
_OPTIONS = hcl2.SerializationOptions(with_comments=False, strip_string_quotes=True, explicit_blocks=False)
_LOCAL_ONLY = re.compile(r"\$\{local\.(\w+)\}")
_REFERENCE = re.compile(r"\b((?:local|var|data\.\w+|aws_\w+|terraform_data)\.[\w.\[\]*]+)")


def configuration_files(directory: Path = INFRA_DIR) -> list[Path]:
    """The *.tf files Terraform reads, without override files (tests add those to their own copies)."""
    return sorted(
        path for path in directory.glob("*.tf") if path.name != "override.tf" and not path.name.endswith("_override.tf")
    )


def module_files() -> list[Path]:
    """The module's *.tf files."""
    return configuration_files(MODULE_DIR)


def all_configuration_files() -> list[Path]:
    """Every *.tf file of infra/ and of its module."""
    return [*configuration_files(), *module_files()]


@dataclass
class Configuration:
    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    moved: list[dict[str, Any]] = field(default_factory=list)

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        try:
            return self.resources[kind][name]
        except KeyError:
            raise AssertionError(f"the configuration has no resource {kind}.{name}") from None

    def module(self, name: str) -> dict[str, Any]:
        try:
            return self.modules[name]
        except KeyError:
            raise AssertionError(f"the configuration calls no module {name}") from None


def load(directory: Path = INFRA_DIR) -> Configuration:
    """The configuration in `directory`: infra/ (the deployment) unless told otherwise, MODULE_DIR for the module."""
    config = Configuration()
    for path in configuration_files(directory):
        with path.open(encoding="utf-8") as handle:
            document = hcl2.load(handle, serialization_options=_OPTIONS)
        for keyword, entries in document.items():
            for entry in entries:
                if keyword in {"resource", "data"}:
                    target = config.resources if keyword == "resource" else config.data
                    for kind, named in entry.items():
                        for name, body in named.items():
                            assert name not in target.setdefault(kind, {}), f"{kind}.{name} is defined twice"
                            target[kind][name] = body
                elif keyword == "locals":
                    config.locals.update(entry)
                elif keyword == "variable":
                    config.variables.update(entry)
                elif keyword == "output":
                    config.outputs.update(entry)
                elif keyword == "module":
                    for name, body in entry.items():
                        assert name not in config.modules, f"module {name} is called twice"
                        config.modules[name] = body
                elif keyword == "moved":
                    config.moved.append(entry)
    return config


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The one nested block `name` of a resource body."""
    blocks = body.get(name)
    assert isinstance(blocks, list), f"expected one {name} block, found {blocks!r}"
    assert len(blocks) == 1, f"expected one {name} block, found {len(blocks)}"
    result: dict[str, Any] = blocks[0]
    return result


def references(expression: Any) -> set[str]:
    """The Terraform references (local.x, var.y, aws_type.name.attr...) an expression mentions."""
    return set(_REFERENCE.findall(str(expression)))


def resolve(config: Configuration, expression: Any) -> Any:
    """`expression` with every `${local.name}` replaced by that local's value, as often as it takes.

    A string that is only a reference to a non-string local (a list, a map) becomes that value.
    """
    for _ in range(20):
        if not isinstance(expression, str):
            return expression
        whole = _LOCAL_ONLY.fullmatch(expression)
        if whole:
            expression = _local(config, whole.group(1))
            continue
        expanded = _LOCAL_ONLY.sub(lambda match: str(_local(config, match.group(1))), expression)
        if expanded == expression:
            return expression
        expression = expanded
    raise AssertionError(f"locals refer to each other in a loop: {expression}")


def _local(config: Configuration, name: str) -> Any:
    assert name in config.locals, f"local.{name} is not defined"
    return config.locals[name]
