"""A short load run through serve (the API's zips, an embedded DynamoDB), then the integrity audit.

Four clients, thirty requests each, mixing every operation on shared users and addresses; the audit must pass
whatever the interleaving was. `./build.sh load` runs the same for longer.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flask_lambda.serve.background import BackgroundServe
from tests.conftest import API_DIR, RUNTIME_PYTHON
from tests.flask_lambda.conftest import Zips
from tools.loadtest import audit, cli
from tools.loadtest.client import Api
from tools.loadtest.history import CREATE, DELETE, GET, LIST, UPDATE
from tools.loadtest.workload import Plan, read_final_state, run_clients

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def serve(zips: Zips) -> Iterator[BackgroundServe]:
    if zips.api is None:
        pytest.skip("api/routes.py does not exist yet")
    # Started the way `./build.sh load` starts it, from the zips the tests built.
    args = ["--runtime-python", str(RUNTIME_PYTHON), "--layer-zip", str(zips.layer), "--function-zip", str(zips.api)]
    with BackgroundServe([*args, "--function-dir", str(API_DIR), "--table", "users"]) as running:
        yield running


def test_concurrent_mixed_crud_agrees_with_the_store(serve: BackgroundServe) -> None:
    plan = Plan(clients=4, requests=30, seconds=60, seed=7, run="loadtest7")
    api = Api(serve.url)
    history, ids = run_clients(api, plan)
    final = read_final_state(api, ids, walk_limit=3)
    result = audit.audit(history, final, plan.run)
    assert result.passed, "\n".join(audit.summary_lines(result, most=50))
    assert len(history) == plan.clients * (plan.requests or 0)
    assert {exchange.kind for exchange in history} == {CREATE, GET, UPDATE, DELETE, LIST}
    assert result.users > 0
    assert final.pages


def test_the_command_prints_the_figures_and_the_verdict(
    serve: BackgroundServe, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["--url", serve.url, "--clients", "2", "--seconds", "30", "--requests", "10", "--seed", "3"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Requests: 20 in " in out
    assert "Latency (ms):" in out
    assert "     p50     p90     p99     max" in out
    assert "Audit: passed" in out
