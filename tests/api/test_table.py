"""The items the API writes follow api/table.py's layout, read from TABLE_DEFINITION itself.

Keys and attribute types come from the definition the Terraform table is checked against; the raw table is read
after every operation to check that each user's listing entry and address item agree with its user item.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from tests.api.conftest import TABLE_NAME, Api
from tests.api.stored import assert_table_agrees, raw_items


def layout(table: ModuleType) -> tuple[str, str, dict[str, str]]:
    definition = table.TABLE_DEFINITION
    keys = {key["KeyType"]: key["AttributeName"] for key in definition["KeySchema"]}
    types = {attribute["AttributeName"]: attribute["AttributeType"] for attribute in definition["AttributeDefinitions"]}
    return keys["HASH"], keys["RANGE"], types


def test_storage_uses_the_names_the_definition_declares(api_modules: dict[str, ModuleType]) -> None:
    storage, table = api_modules["storage"], api_modules["table"]
    assert layout(table)[:2] == (storage.PARTITION_KEY, storage.SORT_KEY)
    assert "GlobalSecondaryIndexes" not in table.TABLE_DEFINITION
    assert "LocalSecondaryIndexes" not in table.TABLE_DEFINITION


def test_written_items_follow_the_layout(api: Api, api_modules: dict[str, ModuleType], dynamodb: Any) -> None:
    hash_key, range_key, types = layout(api_modules["table"])
    ada = api.create("Ada", "Ada@Example.com")
    grace = api.create("Grace", "grace@example.com")
    gone = api.create("Gone", "gone@example.com")
    grace = api.patch(f"/users/{grace['id']}", {"email": "Grace.Hopper@Example.com"}).json()
    api.delete(f"/users/{gone['id']}")

    items = raw_items(dynamodb)
    by_key = {(item[hash_key]["S"], item[range_key]["S"]): item for item in items}
    assert set(by_key) == {
        (f"USER#{ada['id']}", "USER"),
        (f"USER#{grace['id']}", "USER"),
        ("USERS", f"{ada['createdAt']}#{ada['id']}"),
        ("USERS", f"{grace['createdAt']}#{grace['id']}"),
        ("EMAIL#ada@example.com", "EMAIL"),
        ("EMAIL#grace.hopper@example.com", "EMAIL"),
    }
    for key, item in by_key.items():
        for attribute, kind in types.items():
            assert set(item[attribute]) == {kind}, (key, attribute)
    assert by_key[("EMAIL#ada@example.com", "EMAIL")]["userId"]["S"] == ada["id"]
    assert by_key[("EMAIL#grace.hopper@example.com", "EMAIL")]["userId"]["S"] == grace["id"]
    assert by_key[("USERS", f"{grace['createdAt']}#{grace['id']}")]["email"]["S"] == "Grace.Hopper@Example.com"
    assert by_key[(f"USER#{grace['id']}", "USER")]["version"] == {"N": "2"}
    assert_table_agrees(dynamodb)

    # The listing partition alone, read consistently, is every user in creation order.
    listed = dynamodb.query(
        TableName=TABLE_NAME,
        KeyConditionExpression="#p = :p",
        ExpressionAttributeNames={"#p": hash_key},
        ExpressionAttributeValues={":p": {"S": "USERS"}},
        ConsistentRead=True,
    )["Items"]
    assert [item["id"]["S"] for item in listed] == [ada["id"], grace["id"]]


def test_the_listing_entry_agrees_with_the_user_after_every_operation(api: Api, dynamodb: Any) -> None:
    ada = api.create("Ada", "ada@example.com")
    assert set(assert_table_agrees(dynamodb)) == {ada["id"]}
    grace = api.create("Grace", "grace@example.com")
    assert set(assert_table_agrees(dynamodb)) == {ada["id"], grace["id"]}

    steps: list[tuple[str, dict[str, str]]] = [
        (ada["id"], {"name": "Ada Lovelace"}),  # the address stays
        (ada["id"], {"email": "ADA@example.com"}),  # the same address in another case
        (ada["id"], {"email": "countess@example.com"}),  # the address moves
        (grace["id"], {"name": "Grace Hopper", "email": "hopper@example.com"}),
        (grace["id"], {}),  # nothing to change: nothing written
    ]
    for user_id, changes in steps:
        reply = api.patch(f"/users/{user_id}", changes)
        assert reply.status == 200, reply.body
        stored = assert_table_agrees(dynamodb)
        assert {name: stored[user_id][name]["S"] for name in reply.json()} == reply.json()

    # Rejected requests leave both copies as they were.
    before = raw_items(dynamodb)
    assert api.patch(f"/users/{grace['id']}", {"email": "Countess@Example.com"}).status == 409
    assert api.post("/users", {"name": "Copy", "email": "HOPPER@example.com"}).status == 409
    assert sorted(raw_items(dynamodb), key=str) == sorted(before, key=str)

    assert api.delete(f"/users/{ada['id']}").status == 204
    assert set(assert_table_agrees(dynamodb)) == {grace["id"]}
    assert api.delete(f"/users/{grace['id']}").status == 204
    assert assert_table_agrees(dynamodb) == {}
    assert raw_items(dynamodb) == []


def test_the_table_is_created_from_the_definition(api: Api, dynamodb: Any, api_modules: dict[str, ModuleType]) -> None:
    definition = api_modules["table"].TABLE_DEFINITION
    described = dynamodb.describe_table(TableName=TABLE_NAME)["Table"]
    assert described["KeySchema"] == definition["KeySchema"]
    assert sorted(described["AttributeDefinitions"], key=str) == sorted(definition["AttributeDefinitions"], key=str)
    assert described.get("GlobalSecondaryIndexes", []) == []


def test_the_table_expires_items_by_the_ttl_attribute(
    api: Api, dynamodb: Any, api_modules: dict[str, ModuleType]
) -> None:
    table, storage = api_modules["table"], api_modules["storage"]
    assert table.TIME_TO_LIVE == {"AttributeName": table.TTL_ATTRIBUTE, "Enabled": True}
    # The attribute storage writes on tombstones is the one the table's TTL reads.
    assert storage.EXPIRES_AT == table.TTL_ATTRIBUTE
    described = dynamodb.describe_time_to_live(TableName=TABLE_NAME)["TimeToLiveDescription"]
    assert described == {"TimeToLiveStatus": "ENABLED", "AttributeName": table.TTL_ATTRIBUTE}
