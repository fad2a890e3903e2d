"""pip: a failing install stops the build, and a conflict with the layer names both versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from flask_lambda import package
from tests.flask_lambda.conftest import ECHO_DIR
from tests.flask_lambda.package.helpers import function_with_requirements, layer_pins, make_wheel, run_package

pytestmark = pytest.mark.slow


def test_pip_failing_fails_loudly_and_leaves_no_layer(tmp_path: Path) -> None:
    requirements = tmp_path / "layer.txt"
    requirements.write_text("flask==3.1.3\nthis is not a requirement !!\n")
    out = tmp_path / "dist"
    args = ["--out-dir", str(out), "--function-dir", str(ECHO_DIR), "--requirements", str(requirements)]
    completed = run_package(*args)
    assert completed.returncode == 1
    assert "package: error: pip could not install" in completed.stderr
    assert "this is not a requirement" in completed.stderr
    assert not (out / "layer.zip").exists()
    assert not out.exists() or not [path for path in out.iterdir() if "partial" in path.name]


@pytest.mark.parametrize("how", ["asked", "needed by a requirement"])
def test_a_requirement_the_layers_versions_cannot_meet_names_both_versions(
    builds: list[tuple[Path, str]], tmp_path: Path, how: str
) -> None:
    flask, blinker = layer_pins()["flask"], layer_pins()["blinker"]
    if how == "asked":
        requirements, conflict = "flask==2.0.0\n", f"it asks for flask==2.0.0, but the layer holds flask {flask}"
    else:
        wheel = make_wheel(tmp_path, "toolbox", {"toolbox/__init__.py": ("", 0o644)}, requires=("blinker<1.9",))
        requirements = f"{wheel}\n"
        conflict = f"toolbox 1.0 depends on blinker<1.9, but the layer holds blinker {blinker}"
    function_dir = function_with_requirements(tmp_path, "", requirements)
    with pytest.raises(package.PackageError) as raised:
        package.build_function(tmp_path / "function.zip", function_dir, "arm64", builds[0][0] / "layer.zip")
    assert str(raised.value) == (
        f"{package.display(function_dir / 'requirements.txt')} conflicts with the layer: {conflict} (the function "
        "imports the layer's copy: ask for the layer's version or leave the package to the layer)"
    )
