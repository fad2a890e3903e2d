"""The layer: the adapter and the pinned packages only, trimmed of what never runs on Lambda.

An unchanged layer is reused when asked; every module it keeps imports.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import zipfile
from pathlib import Path

import pytest

from flask_lambda import package
from lambda_wsgi.settings import EXEC_WRAPPER
from tests.conftest import ROOT
from tests.flask_lambda.package.helpers import bare_python, extract_zip, zip_names

pytestmark = pytest.mark.slow


def test_the_layer_holds_the_adapter_and_the_pinned_packages_only(builds: list[tuple[Path, str]]) -> None:
    names = zip_names(builds[0][0] / "layer.zip")
    # Python's modules under python/, and at the root the runtime loop's start script, executable, where
    # AWS_LAMBDA_EXEC_WRAPPER names it (/opt/flask-lambda-runtime).
    assert {name for name in names if not name.startswith("python/")} == {EXEC_WRAPPER.removeprefix("/opt/")}
    with zipfile.ZipFile(builds[0][0] / "layer.zip") as layer:
        assert (layer.getinfo("flask-lambda-runtime").external_attr >> 16) & 0o777 == 0o755
    names = [name for name in names if name.startswith("python/")]
    # The bytecode beside each module: see test_every_module_of_both_zips_ships_compiled.
    inside = [name.removeprefix("python/") for name in names if not name.endswith(".pyc")]

    layer_dir = ROOT / "python-lambda-layer"
    own_sources = {
        path.relative_to(layer_dir).as_posix() for path in layer_dir.rglob("*.py") if "__pycache__" not in path.parts
    }
    assert {name for name in inside if name == "main.py" or name.startswith("lambda_wsgi/")} == own_sources
    # The SnapStart hooks module and the runtime interface client are Lambda's runtime's, never the layer's.
    assert not [name for name in inside if name.startswith(("snapshot_restore_py", "awslambdaric"))]

    pins = package.pinned_versions(ROOT / "requirements" / "layer.txt")
    pinned = {name.lower() for name in pins}
    import_names = {
        top
        for top, distributions in importlib.metadata.packages_distributions().items()
        if any(distribution.lower() in pinned for distribution in distributions)
    }
    dist_infos = {f"{name.lower().replace('-', '_')}-{version}.dist-info" for name, version in pins.items()}
    assert {name.split("/")[0] for name in inside} == {"main.py", "lambda_wsgi"} | import_names | dist_infos

    for name in inside:
        top, _, rest = name.partition("/")
        if top.endswith(".dist-info"):
            assert rest in ("METADATA", "entry_points.txt") or "LICEN" in rest.upper(), name
    assert {name.split("/")[0] for name in inside if name.endswith("/METADATA")} == dist_infos
    assert not [name for name in inside if name.endswith((".pyi", ".c", ".h", "py.typed"))]
    assert not [name for name in inside if name.startswith("bin/") or "__pycache__" in name]
    assert not [name for name in inside if name.endswith(("/RECORD", "/INSTALLER", "/WHEEL", "/REQUESTED"))]
    # What never runs on Lambda: the debugger and the reloader of `flask run --debug`, werkzeug's demo page,
    # click's Windows console, `python -m` entry points. The rest of each package is there, fallbacks included.
    assert not [name for name in inside if name.startswith("werkzeug/debug/") or name.endswith("/__main__.py")]
    left_out = {"werkzeug/_reloader.py", "werkzeug/testapp.py", "click/_winconsole.py", "pybase64/_fallback.py"}
    assert not left_out & set(inside)
    kept = {"werkzeug/serving.py", "click/_termui_impl.py", "markupsafe/_native.py"}
    assert kept <= set(inside)
    # Native code for Lambda's arm64, none for this machine.
    assert "markupsafe/_speedups.cpython-313-aarch64-linux-gnu.so" in inside
    assert "pybase64/_pybase64.cpython-313-aarch64-linux-gnu.so" in inside  # the layer's SIMD base64
    assert not [name for name in inside if name.endswith(".so") and "aarch64" not in name]


def test_an_unchanged_layer_is_reused_when_asked_bytecode_included(
    builds: list[tuple[Path, str]], tmp_path: Path
) -> None:
    layer = tmp_path / "layer.zip"
    shutil.copy2(builds[0][0] / "layer.zip", layer)
    before = (layer.stat().st_mtime_ns, layer.read_bytes())
    package.build_layer(layer, "arm64", reuse=True)
    assert (layer.stat().st_mtime_ns, layer.read_bytes()) == before
    # The same inputs without bytecode are another layer: built again, then reused in turn.
    package.build_layer(layer, "arm64", reuse=True, bytecode=False)
    assert not [name for name in zip_names(layer) if name.endswith(".pyc")]
    after = (layer.stat().st_mtime_ns, layer.read_bytes())
    package.build_layer(layer, "arm64", reuse=True, bytecode=False)
    assert (layer.stat().st_mtime_ns, layer.read_bytes()) == after


def test_every_module_left_in_the_layer_imports(host_layer: Path, tmp_path: Path) -> None:
    """Nothing the layer keeps needs what it leaves out (the debugger, the reloader, `__main__`...)."""
    opt = extract_zip(host_layer, tmp_path / "opt") / "python"
    modules = sorted(
        ".".join(path.relative_to(opt).with_suffix("").parts).removesuffix(".__init__")
        for path in opt.rglob("*.py")
        if path.name != "main.py"  # the entry point: it loads the function's app
    )
    script = "import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]"
    done = bare_python("-c", script, *modules, path=(opt,))
    assert done.returncode == 0, done.stderr


def test_a_layer_whose_pybase64_cannot_load_encodes_with_the_standard_library(host_layer: Path, tmp_path: Path) -> None:
    """Its native code is the layer's only copy of pybase64's codec: without it, the standard library serves."""
    opt = extract_zip(host_layer, tmp_path / "opt") / "python"
    for native in (opt / "pybase64").glob("_pybase64*"):
        native.unlink()
    script = (
        "from lambda_wsgi import base64_codec, response\n"
        "png = response.HttpResponse(200, 'OK', [('Content-Type', 'image/png')], bytes(range(256)))\n"
        "text, is_base64 = response.response_body(png)\n"
        "assert is_base64 and base64_codec.codec().encode is base64_codec.stdlib_encode\n"
        "import base64; assert base64.b64decode(text) == bytes(range(256))\n"
    )
    completed = bare_python("-c", script, path=(opt,))
    assert completed.returncode == 0, completed.stderr
