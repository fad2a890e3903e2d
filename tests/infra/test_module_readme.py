"""The module's README lists every variable (name, type, default, description) and every output (name, description)
exactly as variables.tf and outputs.tf declare them.

`python -m tests.infra.test_module_readme` prints both tables as the README should have them, after a change to the
module's variables or outputs.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.infra.hcl import MODULE_DIR, load

README = MODULE_DIR / "README.md"
_ROW = re.compile(r"^\|(.*)\|\s*$")


def _type(value: Any) -> str:
    text = str(value)
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def _cell(text: str) -> str:
    """A description as a table cell: pipes escaped, and < too, or Markdown would read <name> as an HTML tag."""
    return text.replace("|", "\\|").replace("<", "&lt;")


def variable_rows() -> list[list[str]]:
    rows = []
    for name, variable in load(MODULE_DIR).variables.items():
        default = "required" if "default" not in variable else f"`{json.dumps(variable['default'])}`"
        rows.append([f"`{name}`", f"`{_type(variable['type'])}`", default, _cell(variable["description"])])
    return rows


def output_rows() -> list[list[str]]:
    return [[f"`{name}`", _cell(output["description"])] for name, output in load(MODULE_DIR).outputs.items()]


def render(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _section(text: str, heading: str) -> list[str]:
    """The lines under `## heading`, up to the next heading of that level or above."""
    lines = text.splitlines()
    assert f"## {heading}" in lines, f"the README has no '## {heading}' section"
    start = lines.index(f"## {heading}") + 1
    end = next((i for i in range(start, len(lines)) if re.match(r"#{1,2} ", lines[i])), len(lines))
    return lines[start:end]


def _table(lines: list[str]) -> list[list[str]]:
    """The rows of the one table in `lines`, header and separator left out, cells stripped."""
    rows = []
    for line in lines:
        match = _ROW.match(line)
        if match:
            cells = [
                cell.strip().replace("\\|", "|").replace("&lt;", "<") for cell in re.split(r"(?<!\\)\|", match.group(1))
            ]
            rows.append(cells)
    assert len(rows) >= 2, "no table"
    assert all(set(cell) <= set("-: ") for cell in rows[1]), f"not a table header: {rows[:2]}"
    return rows[2:]


def _unescaped(rows: list[list[str]]) -> list[list[str]]:
    return [[cell.replace("\\|", "|").replace("&lt;", "<") for cell in row] for row in rows]


def test_readme_lists_every_variable_as_declared() -> None:
    documented = _table(_section(README.read_text(encoding="utf-8"), "Inputs"))
    expected = _unescaped(variable_rows())
    assert [row[0] for row in documented] == [row[0] for row in expected], "the variables, in variables.tf's order"
    for row, wanted in zip(documented, expected, strict=True):
        assert row == wanted, f"README row for {wanted[0]}:\n{row}\nvariables.tf says:\n{wanted}"


def test_readme_lists_every_output_as_declared() -> None:
    documented = _table(_section(README.read_text(encoding="utf-8"), "Outputs"))
    expected = _unescaped(output_rows())
    assert [row[0] for row in documented] == [row[0] for row in expected], "the outputs, in outputs.tf's order"
    for row, wanted in zip(documented, expected, strict=True):
        assert row == wanted, f"README row for {wanted[0]}:\n{row}\noutputs.tf says:\n{wanted}"


def test_every_variable_and_output_is_described() -> None:
    config = load(MODULE_DIR)
    for name, variable in config.variables.items():
        assert variable.get("type"), f"variable {name} has no type"
        assert len(variable.get("description", "")) > 20, f"variable {name} has no description"
        # Every value is checked before AWS sees it, but for true/false switches.
        if variable["type"] != "bool":
            assert "validation" in variable, f"variable {name} is not validated"
    for name, output in config.outputs.items():
        assert len(output.get("description", "")) > 10, f"output {name} has no description"


if __name__ == "__main__":
    print("## Inputs\n")
    print(render(["Name", "Type", "Default", "Description"], variable_rows()))
    print("\n## Outputs\n")
    print(render(["Name", "Description"], output_rows()))
