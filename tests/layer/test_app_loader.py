"""Loading the user's app: the default `routes:routes`, the setting, and clear init errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lambda_wsgi import AppLoadError, load_app
from tests.conftest import LAYER_DIR, http_event

HANDLER_SCRIPT = """
import json, logging, sys
logging.basicConfig(stream=sys.stderr, format="%(name)s %(message)s")
import main
result = main.handler(json.loads(sys.argv[1]), None)
print(json.dumps(result))
"""


def run_main(
    task_root: Path, app_setting: str | None = None, path: str = "/hello", **settings: str
) -> subprocess.CompletedProcess[str]:
    """Import `main` in a fresh interpreter laid out like Lambda: task root first, then the layer."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LAMBDA_WSGI_")}
    env.update(settings)
    env["PYTHONPATH"] = os.pathsep.join([str(task_root), str(LAYER_DIR)])
    if app_setting is not None:
        env["LAMBDA_WSGI_APP"] = app_setting
    event = json.dumps(http_event(raw_path=path))
    return subprocess.run(
        [sys.executable, "-c", HANDLER_SCRIPT, event],
        check=False,
        cwd=task_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def write(task_root: Path, name: str, source: str) -> None:
    (task_root / name).write_text(textwrap.dedent(source))


BLUEPRINT = """
    from flask import Blueprint
    routes = Blueprint("routes", __name__)

    @routes.get("/hello")
    def hello():
        return {"hello": "blueprint"}
"""


def test_default_is_the_routes_blueprint_in_routes_py(tmp_path: Path) -> None:
    write(tmp_path, "routes.py", BLUEPRINT)
    done = run_main(tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["statusCode"], json.loads(result["body"])) == (200, {"hello": "blueprint"})


def test_setting_names_a_flask_app(tmp_path: Path) -> None:
    write(
        tmp_path,
        "service.py",
        """
        from flask import Flask
        application = Flask(__name__)

        @application.get("/hello")
        def hello():
            return {"hello": "flask app"}
        """,
    )
    done = run_main(tmp_path, "service:application")
    assert json.loads(json.loads(done.stdout)["body"]) == {"hello": "flask app"}


def test_setting_names_any_wsgi_callable(tmp_path: Path) -> None:
    write(
        tmp_path,
        "plain.py",
        """
        def app(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [environ["PATH_INFO"].encode()]
        """,
    )
    done = run_main(tmp_path, "plain:app")
    assert json.loads(done.stdout)["body"] == "/hello"


def test_missing_module_says_what_and_where(tmp_path: Path) -> None:
    with pytest.raises(AppLoadError) as error:
        load_app("no_such_routes_module:routes")
    message = str(error.value)
    assert "no module named 'no_such_routes_module'" in message
    assert "LAMBDA_WSGI_APP=no_such_routes_module:routes" in message
    assert "searched:" in message
    assert error.value.__cause__ is None
    assert error.value.__suppress_context__


def test_missing_attribute_says_what_and_where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "routes_without_bp.py", "app = None\nother = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(
        AppLoadError, match=r"module 'routes_without_bp' \(.*routes_without_bp.py\) has no attribute 'routes'"
    ):
        load_app("routes_without_bp:routes")


def test_an_error_inside_the_users_module_names_its_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "routes_broken.py", "import os\n\nvalue = 1 / 0\n")
    write(tmp_path, "routes_needs_pkg.py", "import requests_that_do_not_exist\n")
    write(tmp_path, "routes_syntax.py", "def broken(:\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(
        AppLoadError, match=r"importing 'routes_broken' failed at .*routes_broken.py:3: ZeroDivisionError"
    ):
        load_app("routes_broken:routes")
    with pytest.raises(
        AppLoadError, match=r"routes_needs_pkg.py:1: ModuleNotFoundError: No module named 'requests_that"
    ):
        load_app("routes_needs_pkg:routes")
    with pytest.raises(AppLoadError, match=r"routes_syntax.py:1: SyntaxError"):
        load_app("routes_syntax:routes")


def test_a_blueprint_whose_set_up_refuses_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Blueprint may read its settings when it is registered (record_once); a missing one is an init error."""
    source = (
        "import os\nfrom flask import Blueprint\nroutes = Blueprint('routes', __name__)\n\n\n"
        "@routes.record_once\ndef set_up(state):\n    raise RuntimeError('TABLE is not set')\n"
    )
    write(tmp_path, "routes_needs_setting.py", source)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(
        AppLoadError,
        match=r"^setting up the Blueprint routes_needs_setting:routes failed at .*routes_needs_setting.py:8: "
        r"RuntimeError: TABLE is not set$",
    ):
        load_app("routes_needs_setting:routes")


def test_a_missing_dependency_is_not_mistaken_for_the_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "routes_dep.py", "import routes_de\n")  # its name starts like the module's own
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(AppLoadError, match=r"importing 'routes_dep' failed at .*routes_dep.py:1: .*'routes_de'"):
        load_app("routes_dep:routes")


RAISING_FLASK_APP = """
    from flask import Flask
    application = Flask(__name__)

    @application.get("/hello")
    def hello():
        raise RuntimeError("broken view")
"""


def test_a_flask_app_named_by_the_setting_gets_the_json_500(tmp_path: Path) -> None:
    write(tmp_path, "service.py", RAISING_FLASK_APP)
    done = run_main(tmp_path, "service:application")
    result = json.loads(done.stdout)
    assert result["statusCode"] == 500
    assert result["headers"]["Content-Type"] == "application/json"
    assert json.loads(result["body"])["message"] == "Internal Server Error"
    assert "requestId" in json.loads(result["body"])


def test_a_flask_apps_own_500_handler_is_kept(tmp_path: Path) -> None:
    own_handler = (
        RAISING_FLASK_APP
        + """
    @application.errorhandler(500)
    def mine(error):
        return "mine", 500
"""
    )
    write(tmp_path, "service.py", own_handler)
    result = json.loads(run_main(tmp_path, "service:application").stdout)
    assert (result["statusCode"], result["body"]) == (500, "mine")


@pytest.mark.parametrize("setting", ["routes", ":routes", "routes:", "routes.routes"])
def test_a_malformed_setting_is_explained(setting: str) -> None:
    with pytest.raises(AppLoadError, match="is not of the form module:attribute"):
        load_app(setting)


def test_something_that_is_not_an_app_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "routes_number.py", "routes = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(AppLoadError, match="is a int, not a Flask Blueprint"):
        load_app("routes_number:routes")


def test_an_init_failure_is_one_clear_import_error_without_a_chained_traceback(tmp_path: Path) -> None:
    done = run_main(tmp_path)  # no routes.py at all
    assert done.returncode != 0
    assert "lambda_wsgi.errors.AppLoadError: no module named 'routes'" in done.stderr
    assert "During handling of the above exception" not in done.stderr


@pytest.mark.parametrize(
    ("setting", "logged"), [(None, False), ("off", False), ("false", False), ("on", True), ("TRUE", True), ("1", True)]
)
def test_access_log_setting(tmp_path: Path, setting: str | None, logged: bool) -> None:
    write(tmp_path, "routes.py", BLUEPRINT)
    done = run_main(tmp_path, **({} if setting is None else {"LAMBDA_WSGI_ACCESS_LOG": setting}))
    assert done.returncode == 0, done.stderr
    assert ('lambda_wsgi {"type":"access"' in done.stderr) is logged


def test_base_path_setting(tmp_path: Path) -> None:
    write(tmp_path, "routes.py", BLUEPRINT)
    done = run_main(tmp_path, path="/api/hello", LAMBDA_WSGI_BASE_PATH="/api")
    assert json.loads(json.loads(done.stdout)["body"]) == {"hello": "blueprint"}
