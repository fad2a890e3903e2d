"""The users table as stored: raw items read straight from DynamoDB, and the agreement they must keep.

Every user item has exactly one listing entry holding the same fields and version, and exactly one address item.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from tests.api.conftest import TABLE_NAME

PUBLIC_FIELDS = ("id", "name", "email", "createdAt", "updatedAt")


def one_address(email: str) -> str:
    """What an address is reserved as: compatibility-normalized (NFKC) and case-folded, normalized again after."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email).casefold())


def raw_items(dynamodb: Any) -> list[dict[str, Any]]:
    """Every item in the table, read consistently."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"TableName": TABLE_NAME, "ConsistentRead": True}
    for _ in range(10_000):
        response = dynamodb.scan(**params)
        items.extend(response["Items"])
        if "LastEvaluatedKey" not in response:
            return items
        params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    raise AssertionError("the scan did not end")


def assert_table_agrees(dynamodb: Any) -> dict[str, dict[str, Any]]:
    """Check the table holds users, their listing entries and their address items, all in agreement, and nothing
    else; the stored user items by id."""
    items = raw_items(dynamodb)
    users = {item["id"]["S"]: item for item in items if item["pk"]["S"].startswith("USER#")}
    listing = {item["id"]["S"]: item for item in items if item["pk"]["S"] == "USERS"}
    addresses = {item["pk"]["S"]: item for item in items if item["pk"]["S"].startswith("EMAIL#")}
    assert len(users) + len(listing) + len(addresses) == len(items), "an item of no known kind, or a duplicate"
    assert set(listing) == set(users), "every user is listed, and only users are"
    for user_id, user in users.items():
        assert (user["pk"]["S"], user["sk"]["S"]) == (f"USER#{user_id}", "USER")
        entry = listing[user_id]
        assert entry["sk"]["S"] == f"{user['createdAt']['S']}#{user_id}"
        fields = (*PUBLIC_FIELDS, "version")
        assert {name: entry[name] for name in fields} == {name: user[name] for name in fields}, user_id
        assert set(entry) == set(user)
    assert all(item["sk"]["S"] == "EMAIL" for item in addresses.values())
    holders = {key.removeprefix("EMAIL#"): item["userId"]["S"] for key, item in addresses.items()}
    assert holders == {one_address(user["email"]["S"]): user_id for user_id, user in users.items()}
    return users


def address_holders(dynamodb: Any) -> dict[str, str]:
    """Check the table agrees with itself; each held (normalized) address → the id of the user holding it."""
    return {one_address(user["email"]["S"]): user_id for user_id, user in assert_table_agrees(dynamodb).items()}


def stored_users(dynamodb: Any) -> dict[str, dict[str, str]]:
    """Check the table agrees with itself; each stored user as the API shows it, by id."""
    return {
        user_id: {name: user[name]["S"] for name in PUBLIC_FIELDS}
        for user_id, user in assert_table_agrees(dynamodb).items()
    }
