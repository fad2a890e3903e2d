"""pip: the layer's pins and their hashes, a failing install stops the build, a conflict with the layer names both."""

from __future__ import annotations

from pathlib import Path

import pytest

from flask_lambda import package
from tests.conftest import ROOT
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


def test_pins_are_read_from_a_compiled_requirements_file_with_their_hashes(tmp_path: Path) -> None:
    requirements = tmp_path / "layer.txt"
    requirements.write_text(
        "# compiled\n"
        "flask==3.1.3 \\\n"
        "    --hash=sha256:aa \\\n"
        "    --hash=sha256:bb\n"
        "    # via -r layer.in\n"
        "Jinja2==3.1.6 \\\n"
        "    --hash=sha256:cc\n"
        "moto[server]==5.2.5\n"
    )
    assert package.pinned_versions(requirements) == {"flask": "3.1.3", "jinja2": "3.1.6", "moto": "5.2.5"}
    blocks = package.pinned_blocks(requirements)
    assert blocks["flask"][1] == "flask==3.1.3 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb"
    assert blocks["jinja2"][1] == "Jinja2==3.1.6 \\\n    --hash=sha256:cc"


def test_the_layers_pins_carry_hashes_for_every_file() -> None:
    layer = ROOT / "requirements" / "layer.txt"
    blocks = package.pinned_blocks(layer)
    assert set(blocks) == set(package.pinned_versions(layer)) >= {"flask", "werkzeug", "pybase64"}
    assert all("--hash=sha256:" in block for _, block in blocks.values())


def test_a_layer_file_whose_hash_differs_from_its_pin_is_refused(tmp_path: Path) -> None:
    requirements = tmp_path / "layer.txt"
    requirements.write_text("blinker==1.9.0 --hash=sha256:" + "0" * 64 + "\n")
    completed = run_package(
        "--out-dir", str(tmp_path / "dist"), "--function-dir", str(ECHO_DIR), "--requirements", str(requirements)
    )
    assert completed.returncode == 1
    assert "pip could not install" in completed.stderr
    assert "HASH" in completed.stderr.upper()
