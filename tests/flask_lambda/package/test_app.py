"""The app check: the app `LAMBDA_WSGI_APP` names must be bound at the top level of a module that ships."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flask_lambda import package
from tests.flask_lambda.package.helpers import shipped_files, write_tree

pytestmark = pytest.mark.slow


# (routes.py, whether it binds `routes` at its top level), as the layer would find it on Lambda.
APP_SOURCES = [
    ("from flask import Blueprint\nroutes = Blueprint('routes', __name__)\n", True),
    ("from flask import Blueprint\nroutes: Blueprint = Blueprint('routes', __name__)\n", True),
    ("from views import routes\n", True),
    ("from views import blueprint as routes\n", True),
    ("import views as routes\n", True),
    ("def routes(environ, start_response):\n    return []\n", True),
    ("class routes:\n    pass\n", True),
    ("try:\n    from fast import routes\nexcept ImportError:\n    from slow import routes\n", True),
    ("if True:\n    api, routes = 1, 2\n", True),
    ("with open('x') as routes:\n    pass\n", True),
    ("(routes := object())\n", True),
    ("def make():\n    global routes\n    routes = object()\nmake()\n", True),
    ("from views import *\n", True),  # may bind anything
    ("def __getattr__(name):\n    return object()\n", True),  # PEP 562: may bind anything
    ("", False),
    ("from flask import Blueprint\nroutes: Blueprint\n", False),  # a declaration binds nothing
    ("def make():\n    routes = object()\n    return routes\n", False),
    ("class App:\n    routes = object()\n", False),
    ("app = [routes for routes in range(3)]\n", False),
    ("handler = lambda routes: routes\n", False),
    ("import flask\nflask.routes = object()\n", False),  # another module's attribute
    ("del routes\n", False),
    ("blueprint = object()\nprint(routes)\n", False),
]


@pytest.mark.parametrize(("source", "binds"), APP_SOURCES)
def test_the_app_must_be_bound_at_the_top_level_of_its_module(tmp_path: Path, source: str, binds: bool) -> None:
    function_dir = write_tree(tmp_path, {"routes.py": source})
    if binds:
        assert "routes.py" in shipped_files(function_dir)
        return
    expected = (
        f"{package.display(function_dir / 'routes.py')} does not define `routes` at its top level, "
        "but the app routes:routes is that name"
    )
    with pytest.raises(package.PackageError, match=re.escape(expected)):
        shipped_files(function_dir)


@pytest.mark.parametrize(
    ("files", "app"),
    [
        ({"app.py": "from flask import Flask\napplication = Flask(__name__)\n"}, "app:application"),
        ({"web/__init__.py": "app = object()\n"}, "web:app"),
        ({"web/server.py": "app = object()\n"}, "web.server:app"),  # a namespace package
        ({"web/__init__.py": "", "web/server.py": "def app(environ, start):\n    return []\n"}, "web.server:app"),
    ],
)
def test_another_app_is_checked_where_it_is_named(tmp_path: Path, files: dict[str, str], app: str) -> None:
    function_dir = write_tree(tmp_path, {"routes.py": "# no app here\n", **files})
    assert set(files) <= shipped_files(function_dir, app)
    with pytest.raises(package.PackageError, match="does not define `missing` at its top level"):
        shipped_files(function_dir, app.partition(":")[0] + ":missing")


@pytest.mark.parametrize(
    ("files", "app", "message"),
    [
        ({}, "routes:routes", "routes.py is missing: the function's code is a Flask Blueprint named `routes`"),
        ({}, "web.app:app", "web/app.py is missing: the app web.app:app (--app, LAMBDA_WSGI_APP) is `app` in it"),
        ({"routes.py": "routes = 1\n", ".lambdaignore": "routes.py\n"}, "routes:routes", "routes.py is left out by "),
        ({"tests/app.py": "app = 1\n"}, "tests.app:app", "is left out by the default exclusion tests/, but it holds"),
        ({}, "routes", "the app 'routes' (--app, LAMBDA_WSGI_APP) is not of the form module:attribute"),
        ({}, "routes:routes.app", "is not of the form module:attribute"),
    ],
)
def test_an_app_that_would_not_load_stops_the_build_saying_where(
    tmp_path: Path, files: dict[str, str], app: str, message: str
) -> None:
    function_dir = tmp_path / "function"
    function_dir.mkdir()
    for name, text in files.items():
        (function_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (function_dir / name).write_text(text)
    with pytest.raises(package.PackageError, match=re.escape(message)):
        package.function_files(function_dir, app)
