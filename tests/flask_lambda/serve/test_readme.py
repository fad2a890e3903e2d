"""The docs' users walkthrough (docs/users-api.md) works pasted as it is, twice in a row, against serve, and the
lines docs/serve.md quotes are the ones serve prints."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest

from tests.conftest import API_DIR, ROOT
from tests.flask_lambda.conftest import Zips, serving
from tests.flask_lambda.serve.serving import Serve

pytestmark = pytest.mark.slow
MARKER = "<!-- users-walkthrough:"
USERS_API_PAGE = ROOT / "docs" / "users-api.md"
SERVE_PAGE = ROOT / "docs" / "serve.md"


def walkthrough() -> str:
    text = USERS_API_PAGE.read_text()
    block = re.search(re.escape(MARKER) + r".*?-->\n```sh\n(.*?)```", text, re.DOTALL)
    assert block is not None, "docs/users-api.md's users walkthrough block is missing"
    return block[1]


@pytest.fixture(scope="module")
def serve(zips: Zips) -> Iterator[Serve]:
    if zips.api is None:
        pytest.skip("api/routes.py does not exist yet")
    args = ["--layer-zip", str(zips.layer), "--function-zip", str(zips.api), "--function-dir", str(API_DIR)]
    with serving(*args) as running:
        yield running


def test_the_users_walkthrough_runs_twice_in_a_row(serve: Serve) -> None:
    script = walkthrough().replace("API=http://127.0.0.1:8000", f"API={serve.url}")
    assert script != walkthrough(), "the walkthrough no longer sets API to serve's default address"
    for run in (1, 2):
        completed = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=120, check=False
        )
        assert completed.returncode == 0, f"run {run}:\n{completed.stdout}\n{completed.stderr}"
        lines = completed.stdout.splitlines()
        assert lines[1] == "409", lines
        assert lines[-2:] == ["204", "404"], lines
        assert '"countess-' in lines[3], lines


def test_the_serve_page_shows_what_serve_prints() -> None:
    """The lines docs/serve.md quotes after `./build.sh serve` are the ones serve prints, in order, but for the
    run's own figures (ports, sizes, the temporary folder), which the page writes as N."""
    text = SERVE_PAGE.read_text()
    quoted = re.search(r"and prints:\n\n((?:    .+\n)+)", text)
    assert quoted is not None, "docs/serve.md's first-run section no longer quotes serve's lines"
    lines = [line[4:] for line in quoted[1].splitlines()]

    def shape(line: str) -> str:
        return re.sub(r"\d+(\.\d+)?", "N", re.sub(r"/tmp/lambda-serve-\w+", "TMP", line))

    with serving("--function-dir", str(API_DIR), "--port", "0") as serve:
        printed = [line for line in serve.stdout if not line.startswith("{")]
    assert [shape(line) for line in printed[: len(lines)]] == [
        shape(line.replace(":8000", f":{serve.port}")) for line in lines
    ]
