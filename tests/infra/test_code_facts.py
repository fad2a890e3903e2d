"""The source readers behind the IAM and environment cross-checks, on small programs written here.

They must find every way the code names a DynamoDB call or a variable, and refuse what they cannot resolve.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.infra import code_facts


def _sources(tmp_path: Path, **modules: str) -> list[code_facts.Source]:
    for name, text in modules.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(text))
    return code_facts.read_sources(tmp_path.glob("*.py"))


STORE = """
import os
import boto3
from names import TABLE

client = boto3.client("dynamodb")


def _call(operation, **params):
    return getattr(client, operation)(**params)


class Store:
    def __init__(self, table):
        self.table = table

    def _run(self, operation, **params):
        return getattr(client, operation)(**params)

    def get(self, key):
        return self._run("get_item", TableName=self.table, Key=key)

    def move(self, old, new):
        client.transact_write_items(TransactItems=[{"Put": new}, {"ConditionCheck": old}])


def scan_all():
    return [page for page in client.get_paginator("scan").paginate(TableName=TABLE)]


def create_table_for_tests():
    client.create_table(TableName="t")
    client.delete_table(TableName="t")


store = Store(os.environ[TABLE])
"""

VIEWS = """
from store import store, scan_all, _call

@app.get("/items/<key>")
def show(key):
    return store.get(key)

@app.post("/moves")
def move():
    store.move({}, {})
    return _call(operation="query", TableName="t")

@app.get("/all")
def everything():
    return scan_all()
"""


def test_dynamodb_calls_are_found_through_dispatchers_paginators_and_transactions(tmp_path: Path) -> None:
    use = code_facts.dynamodb_use(_sources(tmp_path, store=STORE, views=VIEWS, names='TABLE = "ITEMS_TABLE"\n'))
    assert use.operations == {"GetItem", "TransactWriteItems", "Query", "Scan"}
    assert use.iam_actions() == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:Query",
        "dynamodb:Scan",
    }


def test_code_nothing_runs_is_left_out(tmp_path: Path) -> None:
    use = code_facts.dynamodb_use(_sources(tmp_path, store=STORE, views=VIEWS, names='TABLE = "ITEMS_TABLE"\n'))
    assert "CreateTable" not in use.operations
    assert "DeleteTable" not in use.operations
    reached = VIEWS + "\n@app.delete('/reset')\ndef reset():\n    create_table_for_tests()\n"
    use = code_facts.dynamodb_use(_sources(tmp_path, store=STORE, views=reached, names='TABLE = "ITEMS_TABLE"\n'))
    assert {"CreateTable", "DeleteTable"} <= use.operations


def test_an_operation_named_at_run_time_is_refused(tmp_path: Path) -> None:
    views = VIEWS + "\n@app.get('/any/<op>')\ndef anything(op):\n    return _call(op)\n"
    with pytest.raises(code_facts.UnreadableCodeError, match="cannot tell which DynamoDB operation"):
        code_facts.dynamodb_use(_sources(tmp_path, store=STORE, views=views, names='TABLE = "ITEMS_TABLE"\n'))


def test_a_client_of_another_service_is_refused(tmp_path: Path) -> None:
    code = 'import boto3\ns3 = boto3.client("s3")\ns3.get_object(Bucket="b", Key="k")\n'
    with pytest.raises(code_facts.UnreadableCodeError, match="other than DynamoDB"):
        code_facts.dynamodb_use(_sources(tmp_path, store=code))


def test_a_transaction_without_items_is_refused() -> None:
    use = code_facts.DynamoDBUse(frozenset({"TransactWriteItems"}), frozenset())
    with pytest.raises(code_facts.UnreadableCodeError, match="no transaction item"):
        use.iam_actions()


ENVIRONMENT = """
import os
from os import environ, getenv
from names import TABLE

KEY = "SIGNING_KEY"

a = os.environ["DIRECT"]
b = os.environ.get(KEY)
c = os.getenv("BY_GETENV", "x")
d = environ.get(TABLE)
e = getenv("BARE_GETENV")
f = "FLAG" in os.environ
g = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
h = request.environ.get("aws.request_id")
"""


def test_environment_variables_are_read_through_every_spelling(tmp_path: Path) -> None:
    names = code_facts.environment_variables(_sources(tmp_path, config=ENVIRONMENT, names='TABLE = "ITEMS_TABLE"\n'))
    assert names == {
        "DIRECT",
        "SIGNING_KEY",
        "BY_GETENV",
        "ITEMS_TABLE",
        "BARE_GETENV",
        "FLAG",
        "AWS_LAMBDA_LOG_LEVEL",
    }
    assert {name for name in names if code_facts.is_runtime_variable(name)} == {"AWS_LAMBDA_LOG_LEVEL"}
    assert code_facts.is_runtime_variable("FLASK_RUN_FROM_CLI"), "Flask sets it while a command runs"


def test_a_variable_named_at_run_time_is_refused(tmp_path: Path) -> None:
    with pytest.raises(code_facts.UnreadableCodeError, match="environment variable"):
        code_facts.environment_variables(_sources(tmp_path, config="import os\nname = f()\nos.environ[name]\n"))
