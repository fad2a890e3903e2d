"""The users table's layout: the one definition the code, `serve` and the Terraform tests share.

Items (partition key / sort key): `USER#<id>` / `USER` holds a user; `USERS` / `<createdAt>#<id>` is its listing
entry, a copy kept in one partition so a strongly consistent Query lists users in creation order; `EMAIL#<case-folded
address>` / `EMAIL` reserves an address for a user. No secondary index: indexes are only eventually consistent.
"""

from __future__ import annotations

from typing import Any

PARTITION_KEY = "pk"
SORT_KEY = "sk"

# A user item: partition key USER_PREFIX + id, sort key USER_SORT_KEY.
USER_PREFIX = "USER#"
USER_SORT_KEY = "USER"
# Every listing entry shares this partition; its sort key is the user's createdAt, LISTING_SEPARATOR, the id.
LISTING_PARTITION = "USERS"
LISTING_SEPARATOR = "#"
# An address reservation: partition key EMAIL_PREFIX + the case-folded address, sort key EMAIL_SORT_KEY.
EMAIL_PREFIX = "EMAIL#"
EMAIL_SORT_KEY = "EMAIL"

# In CreateTable's own terms, so it can be passed to boto3 as is.
TABLE_DEFINITION: dict[str, Any] = {
    "AttributeDefinitions": [
        {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
        {"AttributeName": SORT_KEY, "AttributeType": "S"},
    ],
    "KeySchema": [
        {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
    ],
    "BillingMode": "PAY_PER_REQUEST",
}


def create_table(client: Any, table_name: str) -> None:
    """Create the table as Terraform would (used by `serve` and the tests)."""
    client.create_table(TableName=table_name, **TABLE_DEFINITION)
    client.get_waiter("table_exists").wait(TableName=table_name)
