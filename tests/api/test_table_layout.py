"""The items the API writes follow api/table.py's layout, read from TABLE_DEFINITION itself.

Keys, index and attribute types come from the definition the Terraform table is checked against.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from tests.api.conftest import TABLE_NAME, Api


def layout(table: ModuleType) -> tuple[str, str, str, str, dict[str, str]]:
    definition = table.TABLE_DEFINITION
    (hash_key,) = [key["AttributeName"] for key in definition["KeySchema"] if key["KeyType"] == "HASH"]
    (index,) = definition["GlobalSecondaryIndexes"]
    index_keys = {key["KeyType"]: key["AttributeName"] for key in index["KeySchema"]}
    types = {attribute["AttributeName"]: attribute["AttributeType"] for attribute in definition["AttributeDefinitions"]}
    return hash_key, index["IndexName"], index_keys["HASH"], index_keys["RANGE"], types


def test_storage_uses_the_names_the_definition_declares(api_modules: dict[str, ModuleType]) -> None:
    storage, table = api_modules["storage"], api_modules["table"]
    used = (storage.PARTITION_KEY, storage.INDEX_NAME, storage.INDEX_PARTITION_KEY, storage.INDEX_SORT_KEY)
    declared = layout(table)[:4]
    assert used == declared


def test_written_items_follow_the_layout(api: Api, api_modules: dict[str, ModuleType], dynamodb: Any) -> None:
    hash_key, index_name, index_hash, index_range, types = layout(api_modules["table"])
    ada = api.create("Ada", "Ada@Example.com")
    grace = api.create("Grace", "grace@example.com")
    gone = api.create("Gone", "gone@example.com")
    api.patch(f"/users/{grace['id']}", {"email": "Grace.Hopper@Example.com"})
    api.delete(f"/users/{gone['id']}")

    items = dynamodb.scan(TableName=TABLE_NAME, ConsistentRead=True)["Items"]
    by_key = {item[hash_key]["S"]: item for item in items}
    assert set(by_key) == {
        f"USER#{ada['id']}",
        f"USER#{grace['id']}",
        "EMAIL#ada@example.com",
        "EMAIL#grace.hopper@example.com",
    }
    for key, item in by_key.items():
        for attribute, kind in types.items():
            if attribute in item:
                assert set(item[attribute]) == {kind}, (key, attribute)
        is_user = key.startswith("USER#")
        # Only users carry the index keys, so the index holds users alone.
        assert (index_hash in item) is is_user
        assert (index_range in item) is is_user
    assert by_key["EMAIL#ada@example.com"]["userId"]["S"] == ada["id"]
    assert by_key["EMAIL#grace.hopper@example.com"]["userId"]["S"] == grace["id"]
    assert by_key[f"USER#{ada['id']}"][index_range]["S"] < by_key[f"USER#{grace['id']}"][index_range]["S"]

    partition = by_key[f"USER#{ada['id']}"][index_hash]
    indexed = dynamodb.query(
        TableName=TABLE_NAME,
        IndexName=index_name,
        KeyConditionExpression="#p = :p",
        ExpressionAttributeNames={"#p": index_hash},
        ExpressionAttributeValues={":p": partition},
    )["Items"]
    assert [item["id"]["S"] for item in indexed] == [ada["id"], grace["id"]]


def test_the_table_is_created_from_the_definition(api: Api, dynamodb: Any, api_modules: dict[str, ModuleType]) -> None:
    definition = api_modules["table"].TABLE_DEFINITION
    described = dynamodb.describe_table(TableName=TABLE_NAME)["Table"]
    assert described["KeySchema"] == definition["KeySchema"]
    assert sorted(described["AttributeDefinitions"], key=str) == sorted(definition["AttributeDefinitions"], key=str)
    assert [index["IndexName"] for index in described["GlobalSecondaryIndexes"]] == ["byCreated"]
