"""`serve --snap-start`: init once, snapshot, every environment restored from it, with the hooks where Lambda runs them.

The function (tests/layer/snapstart_function) records what ran and draws from `random`, so what a snapshot shares
between environments, and what the layer's restore hook changes about it, can be seen from outside.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import API_DIR, ROOT, RUNTIME_PYTHON
from tests.flask_lambda.conftest import Zips, serving
from tests.flask_lambda.serve.serving import Serve

pytestmark = pytest.mark.slow
FUNCTION_DIR = ROOT / "tests" / "layer" / "snapstart_function"


def two_environments(serve: Serve) -> list[dict[str, Any]]:
    """One request each on two environments: the first holds its environment while the second arrives."""
    with ThreadPoolExecutor(max_workers=2) as executor:
        replies = list(executor.map(lambda hold: serve.request("GET", f"/draw?hold={hold}"), ["1", "0"]))
    assert [reply.status for reply in replies] == [200, 200], [reply.body for reply in replies]
    return [{**reply.json(), "line": serve.access_line(reply)} for reply in replies]


def test_every_environment_is_restored_from_one_snapshot_and_draws_its_own_numbers(zips: Zips) -> None:
    with serving("--function-dir", str(FUNCTION_DIR), "--layer-zip", str(zips.layer), "--snap-start") as serve:
        first, second = two_environments(serve)
        assert {first["line"]["environment"], second["line"]["environment"]} == {"env-1", "env-2"}
        assert first["pid"] != second["pid"]
        for seen in (first, second):
            # Init and the before-snapshot hooks ran once, in the snapshot; the restore hooks in each environment.
            assert seen["ran"][:3] == [
                "request /__lambda_wsgi__/prime",
                "app before-snapshot",
                "app after-restore, random reseeded: True",
            ]
            assert seen["line"]["restored"] is True
            assert seen["line"]["coldStart"] is True
            assert isinstance(seen["line"]["restoreDurationMs"], float)
        assert first["draw"] != second["draw"]
        assert any("SnapStart: snapshot taken after" in line for line in serve.stderr)
        # The layer's own line names the first invocation after a restore as such.
        reply = serve.request("GET", "/draw")
        assert "initDurationMs" not in serve.access_line(reply)


def test_a_failing_after_restore_hook_ends_that_environment_unused(zips: Zips) -> None:
    args = ["--function-dir", str(FUNCTION_DIR), "--layer-zip", str(zips.layer), "--snap-start"]
    with serving(*args, "--env", "FAIL_AFTER_RESTORE=1") as serve:
        reply = serve.request("GET", "/draw")
        assert reply.status == 500
        line = serve.access_line(reply)
        assert line["error"].startswith("restore failed: RuntimeError: cannot reconnect after the restore"), line
        assert serve.request("GET", "/draw").status == 500  # each new environment fails the same way, none is reused


def test_a_failing_before_snapshot_hook_stops_serve_with_the_reason(zips: Zips) -> None:
    args = ["--function-dir", str(FUNCTION_DIR), "--layer-zip", str(zips.layer), "--snap-start"]
    serve = Serve(*args, "--env", "FAIL_BEFORE_SNAPSHOT=1")
    code = serve.process.wait(timeout=60)
    serve.stop()
    assert code == 1
    error = next(line for line in serve.stderr if line.startswith("serve: error:"))
    assert "no snapshot was taken" in error
    assert "cannot tidy up for the snapshot" in error


def test_the_users_api_is_restore_safe(zips: Zips, tmp_path: Path) -> None:
    """Primed through DynamoDB before the snapshot; restored environments write, read and page across each other."""
    if zips.api is None:
        pytest.skip("api/routes.py does not exist yet")
    args = ["--function-zip", str(zips.api), "--function-dir", str(API_DIR), "--layer-zip", str(zips.layer)]
    args += ["--snap-start"]
    with serving(*args, "--env", "LAMBDA_WSGI_PRIME_PATH=/users?limit=1") as serve:

        def create(number: int) -> Any:
            body = json.dumps({"name": f"User {number}", "email": f"user{number}@example.com"}).encode()
            return serve.request("POST", "/users", body, [("Content-Type", "application/json")])

        with ThreadPoolExecutor(max_workers=4) as executor:
            created = list(executor.map(create, range(8)))
        assert [reply.status for reply in created] == [201] * 8, [reply.body for reply in created]
        environments = {serve.access_line(reply)["environment"] for reply in created}
        assert len(environments) > 1, environments
        assert len({reply.json()["id"] for reply in created}) == 8
        # A page token made in one environment is good in another: the key is the configured one in each.
        seen: list[str] = []
        token = None
        while True:
            query = "limit=3" + (f"&nextToken={quote(token, safe='')}" if token else "")
            with ThreadPoolExecutor(max_workers=2) as executor:
                page, _ = executor.map(lambda path: serve.request("GET", path), [f"/users?{query}", "/draw"])
            assert page.status == 200, page.body
            seen += [user["id"] for user in page.json()["items"]]
            token = page.json()["nextToken"]
            if token is None:
                break
        assert sorted(seen) == sorted(reply.json()["id"] for reply in created)


def test_the_runtime_interface_client_knows_the_snapshot_protocol() -> None:
    """The emulation relies on awslambdaric asking for /restore/next after the before-snapshot hooks."""
    import subprocess

    probe = (
        "import inspect, awslambdaric.bootstrap as b; print('restore_next' in inspect.getsource(b.on_init_complete))"
    )
    completed = subprocess.run([str(RUNTIME_PYTHON), "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "True"
