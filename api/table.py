"""The users table's key layout: the one definition the code, `serve` and the Terraform tests share.

Items (partition key / sort key): `USER#<id>` / `USER` holds a user; `USERS` / `<createdAt>#<id>` is its listing
entry, a copy kept in one partition so a strongly consistent Query lists users in creation order; `EMAIL#<normalized
address>` / `EMAIL` reserves an address for a user. No secondary index: indexes are only eventually consistent.
Items with a TTL_ATTRIBUTE (a deleted user's tombstone, see storage.py) are removed by the table's TTL.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

PARTITION_KEY = "pk"
SORT_KEY = "sk"

# A user item: partition key USER_PREFIX + id, sort key USER_SORT_KEY.
USER_PREFIX = "USER#"
USER_SORT_KEY = "USER"
# Every listing entry shares this partition; its sort key is the user's createdAt, LISTING_SEPARATOR, the id.
LISTING_PARTITION = "USERS"
LISTING_SEPARATOR = "#"
# An address reservation: partition key EMAIL_PREFIX + the address as `same_address` normalizes it, sort key
# EMAIL_SORT_KEY.
EMAIL_PREFIX = "EMAIL#"
EMAIL_SORT_KEY = "EMAIL"

# DynamoDB's limit for a partition key value, in UTF-8 bytes.
MAX_KEY_BYTES = 2048
# A listing entry's sort key, as `listing_key` makes it from createdAt (`_now()` in storage.py) and a uuid4.
LISTING_POSITION = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z" + re.escape(LISTING_SEPARATOR) + r"[^\s#]+"
)

# A Number of seconds since the epoch after which DynamoDB's TTL may delete the item (it ignores any other type).
TTL_ATTRIBUTE = "expiresAt"

Key = dict[str, dict[str, str]]


def user_key(user_id: str) -> Key:
    return _key(USER_PREFIX + user_id, USER_SORT_KEY)


def storable_id(user_id: str) -> bool:
    """Whether a user with this id could be stored at all (its partition key within DynamoDB's limit)."""
    return len((USER_PREFIX + user_id).encode("utf-8", "surrogatepass")) <= MAX_KEY_BYTES


def listing_key(created_at: str, user_id: str) -> Key:
    # createdAt sorts as the instants do; the id breaks ties between users created in the same microsecond.
    return listing_position_key(created_at + LISTING_SEPARATOR + user_id)


def listing_position_key(position: str) -> Key:
    """The key of the listing entry at `position`, its sort key (what a page token names)."""
    return _key(LISTING_PARTITION, position)


def address_key(email: str) -> Key:
    return _key(EMAIL_PREFIX + same_address(email), EMAIL_SORT_KEY)


def same_address(email: str) -> str:
    """What two addresses must share to be one, so a look-alike never passes for another address.

    Compatibility normalization (NFKC) makes fullwidth, mathematical, circled and ligature forms the plain letters;
    casefold, not lower, makes "STRASSE" and "straße" one; normalizing again keeps what casefold produced in NFKC.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email).casefold())


def _key(partition_key: str, sort_key: str) -> Key:
    return {PARTITION_KEY: {"S": partition_key}, SORT_KEY: {"S": sort_key}}


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


# UpdateTimeToLive's TimeToLiveSpecification: CreateTable takes no TTL, so it is a call of its own (in Terraform,
# the table's `ttl` block).
TIME_TO_LIVE: dict[str, Any] = {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
# What `flask-lambda serve` creates, as api/pyproject.toml names it: the table and its TTL, as Terraform declares both.
SERVED_TABLE: dict[str, Any] = {**TABLE_DEFINITION, "TimeToLiveSpecification": TIME_TO_LIVE}


def create_table(client: Any, table_name: str) -> None:
    """Create the table as Terraform would, its TTL included (used by the tests)."""
    client.create_table(TableName=table_name, **TABLE_DEFINITION)
    client.get_waiter("table_exists").wait(TableName=table_name)
    client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=TIME_TO_LIVE)
