"""The local DynamoDB (flask_lambda/moto_server.py, which serve embeds) honours ClientRequestToken as DynamoDB does.

For 10 minutes after a TransactWriteItems with a token succeeded, the same token on the same request succeeds again
without applying anything, and on another request is an IdempotentParameterMismatchException; a failed transaction
leaves its token unused. moto alone ignores the token, and would apply a retried transaction twice.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
import table
from botocore.exceptions import ClientError

from flask_lambda.moto_server import TOKEN_LIFETIME_SECONDS, MotoServer
from flask_lambda.project import Table
from flask_lambda.serve.dynamodb import MotoProcess, prepare_table
from tests.api.conftest import TABLE_NAME, Api
from tests.conftest import API_DIR, RUNTIME_PYTHON

KEY = {"pk": {"S": "token-check"}, "sk": {"S": "item"}}


def put_once(value: str) -> list[dict[str, Any]]:
    """A transaction that can be applied once only: it creates an item that must not exist yet."""
    item = KEY | {"value": {"S": value}}
    return [{"Put": {"TableName": TABLE_NAME, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}]


def stored(dynamodb: Any) -> str | None:
    item = dynamodb.get_item(TableName=TABLE_NAME, Key=KEY, ConsistentRead=True).get("Item")
    return None if item is None else str(item["value"]["S"])


def client_of(endpoint: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_a_repeated_transaction_succeeds_without_being_applied_again(api: Api, dynamodb: Any) -> None:
    token = str(uuid.uuid4())
    first = dynamodb.transact_write_items(TransactItems=put_once("first"), ClientRequestToken=token)
    # Changed since: applying the transaction again would fail its condition, or put "first" back.
    dynamodb.put_item(TableName=TABLE_NAME, Item=KEY | {"value": {"S": "changed"}})
    again = dynamodb.transact_write_items(TransactItems=put_once("first"), ClientRequestToken=token)

    assert {name: value for name, value in again.items() if name != "ResponseMetadata"} == {
        name: value for name, value in first.items() if name != "ResponseMetadata"
    }
    assert stored(dynamodb) == "changed"


def test_without_a_token_a_repeat_is_a_new_transaction(api: Api, dynamodb: Any) -> None:
    dynamodb.transact_write_items(TransactItems=put_once("first"), ClientRequestToken=str(uuid.uuid4()))
    with pytest.raises(ClientError) as repeat:
        dynamodb.transact_write_items(TransactItems=put_once("first"), ClientRequestToken=str(uuid.uuid4()))
    assert code(repeat) == "TransactionCanceledException"


def test_the_same_token_on_another_request_is_a_mismatch(api: Api, dynamodb: Any) -> None:
    token = str(uuid.uuid4())
    dynamodb.transact_write_items(TransactItems=put_once("first"), ClientRequestToken=token)
    dynamodb.delete_item(TableName=TABLE_NAME, Key=KEY)
    with pytest.raises(ClientError) as mismatch:
        dynamodb.transact_write_items(TransactItems=put_once("second"), ClientRequestToken=token)

    assert code(mismatch) == "IdempotentParameterMismatchException"
    assert mismatch.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert stored(dynamodb) is None


def test_a_failed_transaction_leaves_its_token_unused(api: Api, dynamodb: Any) -> None:
    token = str(uuid.uuid4())
    dynamodb.put_item(TableName=TABLE_NAME, Item=KEY | {"value": {"S": "in the way"}})
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(TransactItems=put_once("first"), ClientRequestToken=token)
    assert code(cancelled) == "TransactionCanceledException"
    dynamodb.delete_item(TableName=TABLE_NAME, Key=KEY)

    dynamodb.transact_write_items(TransactItems=put_once("first"), ClientRequestToken=token)
    assert stored(dynamodb) == "first"


def test_a_token_is_remembered_for_ten_minutes(api: Api) -> None:
    now = [1000.0]
    # A second server on the same moto state, with a clock of the test's own and tokens of its own.
    with MotoServer(clock=lambda: now[0]) as server:
        dynamodb = client_of(server.endpoint)
        token = str(uuid.uuid4())
        dynamodb.transact_write_items(TransactItems=put_once("first"), ClientRequestToken=token)
        now[0] += TOKEN_LIFETIME_SECONDS - 1
        dynamodb.transact_write_items(TransactItems=put_once("first"), ClientRequestToken=token)
        now[0] += 1  # 10 minutes after the first succeeded (the repeat does not extend them)
        with pytest.raises(ClientError) as anew:
            dynamodb.transact_write_items(TransactItems=put_once("first"), ClientRequestToken=token)
        assert code(anew) == "TransactionCanceledException"  # applied anew, it meets the item it created


def test_a_reset_forgets_the_tokens(api: Api, moto: MotoServer, dynamodb: Any) -> None:
    token = str(uuid.uuid4())
    dynamodb.transact_write_items(TransactItems=put_once("first"), ClientRequestToken=token)
    moto.reset()
    table.create_table(dynamodb, TABLE_NAME)
    dynamodb.transact_write_items(TransactItems=put_once("first"), ClientRequestToken=token)
    assert stored(dynamodb) == "first"


def test_serves_embedded_dynamodb_honours_tokens() -> None:
    process = MotoProcess(Path(sys.executable))
    try:
        endpoint = process.wait_ready()
        users = Table(TABLE_NAME, "table:SERVED_TABLE", "USERS_TABLE")
        assert prepare_table(endpoint, users, "us-east-1", API_DIR, RUNTIME_PYTHON)
        assert not prepare_table(endpoint, users, "us-east-1", API_DIR, RUNTIME_PYTHON), "created once"
        dynamodb = client_of(endpoint)
        token = str(uuid.uuid4())
        dynamodb.transact_write_items(TransactItems=put_once("first"), ClientRequestToken=token)
        dynamodb.delete_item(TableName=TABLE_NAME, Key=KEY)
        dynamodb.transact_write_items(TransactItems=put_once("first"), ClientRequestToken=token)
        assert stored(dynamodb) is None  # the repeat applied nothing
        with pytest.raises(ClientError) as mismatch:
            dynamodb.transact_write_items(TransactItems=put_once("second"), ClientRequestToken=token)
        assert code(mismatch) == "IdempotentParameterMismatchException"
    finally:
        process.stop()
