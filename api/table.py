"""The users table's layout: the one definition the code, `serve` and the Terraform tests share.

Items: `USER#<id>` holds a user; `EMAIL#<case-folded address>` reserves an address for a user.
User items alone carry the `byCreated` index keys, so the index lists users only, in creation order.
"""

from __future__ import annotations

from typing import Any

PARTITION_KEY = "pk"
INDEX_NAME = "byCreated"
INDEX_PARTITION_KEY = "gsi1pk"
INDEX_SORT_KEY = "gsi1sk"

# In CreateTable's own terms, so it can be passed to boto3 as is.
TABLE_DEFINITION: dict[str, Any] = {
    "AttributeDefinitions": [
        {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
        {"AttributeName": INDEX_PARTITION_KEY, "AttributeType": "S"},
        {"AttributeName": INDEX_SORT_KEY, "AttributeType": "S"},
    ],
    "KeySchema": [{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": INDEX_NAME,
            "KeySchema": [
                {"AttributeName": INDEX_PARTITION_KEY, "KeyType": "HASH"},
                {"AttributeName": INDEX_SORT_KEY, "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
    "BillingMode": "PAY_PER_REQUEST",
}


def create_table(client: Any, table_name: str) -> None:
    """Create the table as Terraform would (used by `serve` and the tests)."""
    client.create_table(TableName=table_name, **TABLE_DEFINITION)
    client.get_waiter("table_exists").wait(TableName=table_name)
