"""schemathesis against serve, bounded: every check, every phase (the stateful one following the document's links).

The function gets a page-token key of the test's own, which the hooks (tools/loadtest/fuzz_hooks.py) sign real
tokens with. `./build.sh fuzz` runs the same with more examples and a fresh seed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from pathlib import Path

import pytest

from tests.conftest import API_DIR, ROOT
from tests.flask_lambda.conftest import Zips, serving
from tools.loadtest import fuzz

pytestmark = pytest.mark.slow
SCHEMATHESIS = Path(os.environ.get("SCHEMATHESIS") or fuzz.DEFAULT_SCHEMATHESIS)
MAX_EXAMPLES = 25
SEED = 20250131
DOCUMENTED_LINKS = (
    "GET /users -> [200] nextPage -> GET /users",
    "POST /users -> [201] getUser -> GET /users/{id}",
    "POST /users -> [201] updateUser -> PATCH /users/{id}",
    "POST /users -> [201] deleteUser -> DELETE /users/{id}",
)


def test_schemathesis_finds_no_failure(zips: Zips, tmp_path: Path) -> None:
    if zips.api is None:
        pytest.skip("api/routes.py does not exist yet")
    if not SCHEMATHESIS.is_file():
        pytest.fail(f"{SCHEMATHESIS} is missing: the venv of requirements/fuzz.txt that ./build.sh test sets up")
    key = secrets.token_urlsafe(48)
    events = tmp_path / "events.ndjson"
    args = ["--layer-zip", str(zips.layer), "--function-zip", str(zips.api), "--function-dir", str(API_DIR)]
    with serving(*args, "--env", f"{fuzz.KEY_VARIABLE}={key}") as serve:
        # No example database: the same draws on every run, whatever earlier runs found.
        extra = ["--generation-database", "none", "--report", "ndjson", "--report-ndjson-path", str(events)]
        command = fuzz.schemathesis_command(SCHEMATHESIS, serve.url, MAX_EXAMPLES, SEED, extra)
        completed = subprocess.run(
            command,
            check=False,
            cwd=ROOT,
            env=fuzz.schemathesis_environment(key),
            capture_output=True,
            text=True,
            timeout=300,
        )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "No issues found" in output
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert re.search(rf"✅ {phase}\b", output), f"{phase} did not run:\n{output}"
    # The stateful phase followed every link the document gives.
    followed = set(re.findall(r'"transition":\{"id":"([^"]+)"', events.read_text()))
    for link in DOCUMENTED_LINKS:
        assert link in followed, f"{link} was never followed: {sorted(followed)}"


HOOKS_PROBE = """
import json, re, sys
from hypothesis import given, settings, HealthCheck
from schemathesis.specs.openapi.formats import STRING_FORMATS
from tools.loadtest import fuzz_hooks

schema = json.load(open("api/openapi.json"))["components"]["parameters"]["NextToken"]["schema"]
drawn = []

@settings(max_examples=50, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(STRING_FORMATS[fuzz_hooks.TOKEN_FORMAT])
def draw(token):
    drawn.append(token)

draw()
made_up = ["a.b", "WyJ4Il0.AAAA", drawn[0][:-1] + ("A" if drawn[0][-1] != "A" else "B"), drawn[0] + "x"]
print(json.dumps({
    "drawn": len(drawn),
    "all_issued": all(fuzz_hooks.issued(token) for token in drawn),
    "all_shaped": all(re.search(schema["pattern"], t) and len(t) <= schema["maxLength"] for t in drawn),
    "made_up_issued": [token for token in made_up if fuzz_hooks.issued(token)],
}))
"""


def test_the_hooks_draw_real_tokens_of_the_documented_shape_and_tell_made_up_ones() -> None:
    if not SCHEMATHESIS.is_file():
        pytest.fail(f"{SCHEMATHESIS} is missing: the venv of requirements/fuzz.txt that ./build.sh test sets up")
    python = SCHEMATHESIS.with_name("python")
    environment = fuzz.schemathesis_environment(secrets.token_urlsafe(48))
    completed = subprocess.run(
        [str(python), "-c", HOOKS_PROBE], check=False, cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    found = json.loads(completed.stdout)
    assert found["drawn"] > 0, found
    assert found["all_issued"], found
    assert found["all_shaped"], found
    assert found["made_up_issued"] == [], found
