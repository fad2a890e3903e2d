"""Under SnapStart, the users API closes its DynamoDB connections before the snapshot and opens new ones after.

A connection open in a snapshot is dead in every environment restored from it. The test runs in a fresh
interpreter laid out as on Lambda, with the hooks driven as awslambdaric drives them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.api.conftest import PAGE_TOKEN_KEY
from tests.conftest import API_DIR, LAYER_DIR, ROOT

SCRIPT = """
import json, boto3, table
from awslambdaric.lambda_runtime_hooks_runner import run_before_snapshot
from lambda_wsgi import Adapter
from lambda_wsgi.app_loader import app_for_blueprint
from flask_lambda.moto_server import MotoServer

def event(path):
    return {"version": "2.0", "rawPath": path, "rawQueryString": "", "headers": {"host": "x.local"},
            "requestContext": {"http": {"method": "GET", "path": path}, "stage": "$default", "domainName": "x.local"}}

with MotoServer() as moto:
    import os
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = moto.endpoint
    boto3.client("dynamodb").create_table(TableName="users", **table.TABLE_DEFINITION)
    import routes
    app = app_for_blueprint(routes.routes, "routes")
    users = app.extensions[routes.USERS_EXTENSION]
    pools = lambda: len(users.client._endpoint.http_session._manager.pools)
    handler = Adapter(app)
    before = handler(event("/users"), None)["statusCode"], pools()
    run_before_snapshot()
    at_snapshot = pools()
    after = handler(event("/users"), None)["statusCode"], pools()
    print(json.dumps({"before": before, "at_snapshot": at_snapshot, "after": after}))
"""


def run(**variables: str) -> dict[str, list[int] | int]:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(API_DIR), str(LAYER_DIR), str(ROOT)]),
        "USERS_TABLE": "users",
        "PAGE_TOKEN_KEY": PAGE_TOKEN_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        **variables,
    }
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=False, env=environment
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, list[int] | int] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def test_connections_are_closed_before_the_snapshot_and_reopened_after() -> None:
    seen = run(AWS_LAMBDA_INITIALIZATION_TYPE="snap-start")
    assert seen == {"before": [200, 1], "at_snapshot": 0, "after": [200, 1]}


def test_without_snapstart_the_connections_stay() -> None:
    assert run()["at_snapshot"] == 1
