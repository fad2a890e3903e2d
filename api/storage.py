"""Users in DynamoDB: the items' attributes, conditions, transactions and paging; table.py has their keys.

A user item, its listing entry and its address item (layout in table.py) are written, changed and deleted in one
transaction, so the list always agrees with the users and two users can never hold one address.

Every write carries its request's write token, a random id stored on the items it writes. A write whose answer never
came (a timeout, then a retry that fails the condition the first try had already met) is read back, and recognised
by its token as this request's own: the answer says what was stored, never what a failed retry suggests.
"""

from __future__ import annotations

import logging
import os
import random
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypedDict

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from page_token import InvalidTokenError, PageTokens
from table import (
    LISTING_PARTITION,
    LISTING_POSITION,
    PARTITION_KEY,
    SORT_KEY,
    TTL_ATTRIBUTE,
    address_key,
    listing_key,
    listing_position_key,
    same_address,
    storable_id,
    user_key,
)

logger = logging.getLogger(__name__)

TABLE_VARIABLE = "USERS_TABLE"
# Non-key attributes: a user item's and listing entry's write counter, and an address item's holder.
VERSION = "version"
HOLDER = "userId"
# Who created the user (the caller's identity, REMOTE_USER), on a user item and its listing entry; absent when nobody
# was named, as on users created before creators were recorded. Never shown: `access` decides who may change a user.
CREATED_BY = "createdBy"
# The write token of the request that last wrote a user item and its listing entry (see the module's docstring).
WRITTEN_BY = "writtenBy"
# A tombstone, the user item a DELETE leaves until it has answered (see `Users.delete`), holds only its key, the
# deleting request's write token, when it was deleted, and when a table TTL on EXPIRES_AT may remove it if the
# request never came back to (epoch seconds; the request itself removes it at once).
DELETED_AT = "deletedAt"
EXPIRES_AT = TTL_ATTRIBUTE
TOMBSTONE_SECONDS = 3600
# Optimistic writes that lose a race (a concurrent change, a transaction conflict) re-read and retry for as long as
# the request's time allows (see `answer_by`): contention is not an outage. Between tries, a pause drawn from 0 to
# RACE_PAUSE_SECONDS * 2**losses, at most RACE_PAUSE_LIMIT_SECONDS: the jitter keeps writers that collided from
# colliding again in lockstep, and the limit keeps a writer that lost often from idling while the others are done.
RACE_PAUSE_SECONDS = 0.01
RACE_PAUSE_LIMIT_SECONDS = 0.25
# How long a write keeps retrying when the caller gave no time budget.
RACE_SECONDS = 10
RETRY_AFTER_SECONDS = 1

# Errors that say "not now" rather than "never": answered with 503 and Retry-After.
UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        # A retried transaction whose first try is still running: DynamoDB is slow.
        "TransactionInProgressException",
        # The same, as a transaction reports it per item.
        "ProvisionedThroughputExceeded",
        "ThrottlingError",
    }
)
# The table is not there (not created yet, deleted, another region or account): also a 503, naming the table.
MISSING_TABLE_CODE = "ResourceNotFoundException"
_CHECK_FAILED = "ConditionalCheckFailed"
# Conditions: no item has this key yet; the item is the version this write read; the item is this request's.
_ABSENT = "attribute_not_exists(#pk)"
_SAME_VERSION = "#version = :version"
_OURS = "#writtenBy = :writtenBy"
# Write errors that mean "someone else changed this first": read again and retry. Transactions report these
# per item (as cancellation reasons); a whole-request error of this kind is handled the same way.
LOST_RACE_CODES = frozenset({"ConditionalCheckFailedException", "TransactionConflictException"})
# Per-item cancellation reasons a transaction may end with when it lost a race ("None": that item was fine).
_RACE_REASONS = frozenset({"None", _CHECK_FAILED, "TransactionConflict"})

# Short timeouts and one SDK retry, so a hanging DynamoDB costs at most WORST_CALL_SECONDS a call.
CLIENT_CONFIG = Config(
    connect_timeout=1,
    read_timeout=2,
    # Two attempts in all ("max_attempts" would count retries alone, making three).
    retries={"mode": "standard", "total_max_attempts": 2},
    tcp_keepalive=True,
)
WORST_CALL_SECONDS = 2 * (1 + 2) + 1  # two attempts of connect + read, and the backoff between them
# When this request must have its answer (time.monotonic()), if the caller said: see `answer_by`.
_deadline: ContextVar[float | None] = ContextVar("dynamodb_deadline", default=None)


class User(TypedDict):
    """A user as the API shows it; nothing else ever leaves this module."""

    id: str
    name: str
    email: str
    createdAt: str
    updatedAt: str


class UserNotFoundError(Exception):
    """No user has this id."""


class ForbiddenError(Exception):
    """The caller may not change or delete this user (see access.py)."""


class EmailTakenError(Exception):
    """Another user holds this address (compared as `table.same_address` normalizes addresses)."""


class UnavailableError(Exception):
    """DynamoDB is throttling, failing, out of reach or without its table; the request may succeed if retried later.

    The message is the cause, on one line, for the log; it is never shown to clients.
    """

    def __init__(self, message: str, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(" ".join(message.split()))
        self.retry_after = retry_after


class TransactionRefusedError(Exception):
    """DynamoDB cancelled a transaction for a reason retrying cannot fix (a 500: a bug, not the client's)."""


def answer_by(seconds_left: float | None) -> None:
    """Give this request a time budget: a DynamoDB call that could outlast it fails fast as unavailable."""
    _deadline.set(None if seconds_left is None else time.monotonic() + seconds_left)


class _LostRaceError(Exception):
    """An optimistic write lost a race; read again and retry."""


class _Cancellation:
    """Why DynamoDB cancelled a transaction: each named item's reason code, and the items it found in the way.

    An item put with `return_old` whose condition failed comes back as it was stored (ReturnValuesOnConditionCheck-
    Failure), so the write can try again without reading it first.
    """

    def __init__(self, codes: dict[str, str]) -> None:
        self.codes = codes
        self.found: dict[str, Item] = {}

    def __getitem__(self, name: str) -> str:
        return self.codes[name]


Item = dict[str, dict[str, str]]
# Whether the caller may change a user created by the given identity (None: nobody on record).
Allowed = Callable[[str | None], bool]


def _anyone(creator: str | None) -> bool:
    return True


class Users:
    """The users table behind one DynamoDB client."""

    def __init__(self, client: Any, table_name: str, tokens: PageTokens) -> None:
        self.client = client
        self.tokens = tokens
        self.table_name = table_name

    def disconnect(self) -> None:
        """Close the client's open connections; its next call opens new ones."""
        self.client.close()

    def create(self, name: str, email: str, creator: str | None = None) -> User:
        # Drawn once per request, so every try writes the same items: a try that finds them already there knows
        # they are its own, as no other request ever uses this id.
        write = _write_token()
        now = _now()
        user = User(id=str(uuid.uuid4()), name=name, email=email, createdAt=now, updatedAt=now)

        def created() -> User | None:
            item = self._read_user_item(user["id"])
            if item is None:
                return None
            # Created by this request and changed or deleted since (by a client that listed it in the meantime):
            # it was still created, and the 201 says so.
            return user if _is_tombstone(item) else _public(item)

        def attempt() -> User:
            reasons = self._transact(
                {
                    "user": {"Put": self._put(_user_item(user, 1, write, creator), _ABSENT)},
                    "listing": {"Put": self._put(_listing_item(user, 1, write, creator), _ABSENT)},
                    "address": {"Put": self._put(_email_item(email, user["id"]), _ABSENT)},
                }
            )
            if reasons is None:
                return user
            # The user item exists: an earlier try committed (the SDK retried a write whose answer was lost, and the
            # retry failed the conditions the first try had met), and its address is ours, not taken.
            if reasons["user"] == _CHECK_FAILED and (stored := created()) is not None:
                return stored
            if reasons["address"] == _CHECK_FAILED:
                raise EmailTakenError(email)
            raise _LostRaceError  # a conflict with a concurrent transaction

        return self._writing(attempt, created)

    def get(self, user_id: str) -> User:
        item = self._get_user_item(user_id)
        if item is None:
            raise UserNotFoundError(user_id)
        return _public(item)

    def update(
        self, user_id: str, name: str | None = None, email: str | None = None, may_change: Allowed = _anyone
    ) -> User:
        """Change a user's name or address, if `may_change` allows it given who created it (else ForbiddenError)."""
        write = _write_token()

        def ours() -> User | None:
            item = self._get_user_item(user_id)
            return _public(item) if item is not None and _written_by(item) == write else None

        # The user item as the last cancelled try found it in its way (the next try's starting point), if it did.
        found: list[Item] = []

        def attempt() -> User:
            item = found.pop() if found else self._read_user_item(user_id)
            if item is None or _is_tombstone(item):
                raise UserNotFoundError(user_id)
            if _written_by(item) == write:
                # An earlier try of this request committed (its answer lost, or its retry failing the version check
                # the first try had advanced): this is the new state, and writing it again would be a second change.
                return _public(item)
            creator = _creator(item)
            if not may_change(creator):
                raise ForbiddenError(user_id)
            if name is None and email is None:
                return _public(item)
            current = _public(item)
            version = int(item[VERSION]["N"])
            user = User(
                id=current["id"],
                name=current["name"] if name is None else name,
                email=current["email"] if email is None else email,
                createdAt=current["createdAt"],
                # Clocks of different Lambda instances may disagree; updatedAt never goes back.
                updatedAt=max(_now(), current["updatedAt"]),
            )
            # The user item and its listing entry carry the same version, so both must be as read.
            expected = {":version": {"N": str(version)}}
            writes = {
                "user": {
                    "Put": self._put(
                        _user_item(user, version + 1, write, creator), _SAME_VERSION, expected, return_old=True
                    )
                },
                "listing": {
                    "Put": self._put(_listing_item(user, version + 1, write, creator), _SAME_VERSION, expected)
                },
            }
            moves = same_address(user["email"]) != same_address(current["email"])
            if moves:
                writes["new address"] = {"Put": self._put(_email_item(user["email"], user_id), _ABSENT)}
                writes["old address"] = {"Delete": self._delete_email(current["email"], user_id)}
            reasons = self._transact(writes)
            if reasons is None:
                return user
            # The address counts as taken only when the user was still as read; else re-read and decide again (the
            # re-read recognises this request's own write if a lost try of this transaction committed it).
            as_read = reasons["user"] != _CHECK_FAILED and reasons["listing"] != _CHECK_FAILED
            if moves and as_read and reasons["new address"] == _CHECK_FAILED:
                raise EmailTakenError(user["email"])
            if "user" in reasons.found:
                found.append(reasons.found["user"])
            raise _LostRaceError

        return self._writing(attempt, ours)

    def delete(self, user_id: str, may_change: Allowed = _anyone) -> None:
        """Delete in two steps, so that a delete whose answer was lost is told from one that lost to another.

        A delete leaves no trace of who made it, and two deletes of one version are the same request to DynamoDB:
        after a lost answer, "gone" cannot say whether this request deleted the user or a concurrent DELETE did
        (which must then be the one answering 204, this one 404). So the transaction that deletes the listing entry
        and frees the address replaces the user item with a tombstone carrying this request's write token, which
        every read takes for "no such user"; once the outcome is known, the request removes its own tombstone
        (conditioned on its token). A tombstone left behind by a request that never came back (the function
        stopped between the two steps) stays invisible to the API; a table TTL on EXPIRES_AT removes it.
        """
        write = _write_token()

        def ours() -> bool | None:
            item = self._read_user_item(user_id)
            return True if item is not None and _is_tombstone(item) and _written_by(item) == write else None

        def attempt() -> bool:
            item = self._read_user_item(user_id)
            if item is not None and _is_tombstone(item) and _written_by(item) == write:
                return True  # an earlier try of this request committed
            if item is None or _is_tombstone(item):
                raise UserNotFoundError(user_id)
            if not may_change(_creator(item)):
                raise ForbiddenError(user_id)
            user = _public(item)
            reasons = self._transact(
                {
                    "user": {"Put": self._put(_tombstone(user_id, write), _SAME_VERSION, {":version": item[VERSION]})},
                    # Guarded by the user item's condition: all go, or none does.
                    "listing": {"Delete": {"TableName": self.table_name, "Key": _listing_key(user)}},
                    "address": {"Delete": self._delete_email(user["email"], user_id)},
                }
            )
            if reasons is not None:
                raise _LostRaceError  # the re-read tells a concurrent change from this request's own lost try
            return True

        self._writing(attempt, ours)
        self._remove_tombstone(user_id, write)

    def page(self, limit: int, token: str | None = None) -> tuple[list[User], str | None]:
        """One page of users in creation order, and the token of the next page (None on the last).

        A strongly consistent Query of the listing partition, which holds listing entries alone, so every item
        it reads is a user: asking for one more than `limit` tells whether another page exists without ever
        returning an empty one.
        """
        start = self._start_key(token) if token is not None else None
        items: list[Item] = []
        while len(items) <= limit:
            params: dict[str, Any] = {
                "TableName": self.table_name,
                "KeyConditionExpression": "#pk = :list",
                "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
                "ExpressionAttributeValues": {":list": {"S": LISTING_PARTITION}},
                "ConsistentRead": True,
                "Limit": limit + 1 - len(items),
            }
            if start is not None:
                params["ExclusiveStartKey"] = start
            response = self._call("query", **params)
            items.extend(response.get("Items", ()))
            start = response.get("LastEvaluatedKey")
            if start is None:
                break
        page = items[:limit]
        more = len(items) > limit
        next_token = self.tokens.encode([page[-1][SORT_KEY]["S"]]) if more else None
        return [_public(item) for item in page], next_token

    def _start_key(self, token: str) -> Item:
        values = self.tokens.decode(token)
        # Only this API signs tokens, but whatever a leaked key signed must still name a listing position.
        if len(values) != 1 or not LISTING_POSITION.fullmatch(values[0]):
            raise InvalidTokenError("is not a page token")
        return listing_position_key(values[0])

    def _get_user_item(self, user_id: str) -> Item | None:
        """The user's item, or None if there is no such user (a tombstone is none)."""
        item = self._read_user_item(user_id)
        return None if item is None or _is_tombstone(item) else item

    def _read_user_item(self, user_id: str) -> Item | None:
        """Whatever is stored under the user's key: its item, a tombstone, or None."""
        if not storable_id(user_id):
            return None  # DynamoDB could never have stored it
        response = self._call("get_item", TableName=self.table_name, Key=user_key(user_id), ConsistentRead=True)
        item: Item | None = response.get("Item")
        return item

    def _remove_tombstone(self, user_id: str, write: str) -> None:
        """Remove this request's tombstone; if that fails, it stays, invisible (see `delete`), and the user is gone."""
        try:
            self._call(
                "delete_item",
                TableName=self.table_name,
                Key=user_key(user_id),
                ConditionExpression=_OURS,
                ExpressionAttributeNames={"#writtenBy": WRITTEN_BY},
                ExpressionAttributeValues={":writtenBy": {"S": write}},
            )
        except UnavailableError as error:
            logger.warning("the deleted user %r keeps its tombstone for now: %s", user_id, error)
        except ClientError as error:
            # The SDK's retry of a removal whose answer was lost: the first try removed it.
            if not lost_race(error):
                raise

    def _put(
        self, item: Item, condition: str, values: dict[str, Any] | None = None, *, return_old: bool = False
    ) -> dict[str, Any]:
        names = {"#pk": PARTITION_KEY, "#version": VERSION}
        put: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": item,
            "ConditionExpression": condition,
            # DynamoDB refuses names the expression does not use.
            "ExpressionAttributeNames": {name: value for name, value in names.items() if name in condition},
        }
        if values:
            put["ExpressionAttributeValues"] = values
        if return_old:
            put["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return put

    def _delete_email(self, email: str, user_id: str) -> dict[str, Any]:
        return {
            "TableName": self.table_name,
            "Key": address_key(email),
            # Only ever free the address this user holds.
            "ConditionExpression": "#user = :user",
            "ExpressionAttributeNames": {"#user": HOLDER},
            "ExpressionAttributeValues": {":user": {"S": user_id}},
        }

    def _transact(self, items: dict[str, dict[str, Any]]) -> _Cancellation | None:
        """Run a transaction of named items: None when it committed, else each item's cancellation reason.

        DynamoDB gives the reasons in the items' order; naming them lets callers ask what happened to which item.
        The SDK gives the call a ClientRequestToken, the same for its own retry of it: DynamoDB (and serve's
        embedded one) then answers a retry of a committed transaction with success instead of applying it again,
        for 10 minutes. Callers must not count on it: the token is the SDK's, not the request's, and a retry that
        arrives as a new call has a new one.
        """
        try:
            self._call("transact_write_items", TransactItems=list(items.values()))
        except ClientError as error:
            if lost_race(error):
                raise _LostRaceError from None
            if _code(error) != "TransactionCanceledException":
                raise
            codes = [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", ())]
            if len(codes) != len(items):
                raise
            reasons = _Cancellation(dict(zip(items, codes, strict=True)))
            for name, reason in zip(items, error.response.get("CancellationReasons", ()), strict=True):
                if "Item" in reason:
                    reasons.found[name] = reason["Item"]
            busy = UNAVAILABLE_CODES.intersection(codes)
            if busy:
                raise UnavailableError(f"DynamoDB cancelled a transaction: {', '.join(sorted(busy))}") from error
            unexpected = set(codes) - _RACE_REASONS
            if unexpected:
                # Not a race and not "busy": retrying cannot help, so it must not pass for a lost race.
                refused = ", ".join(sorted(unexpected))
                raise TransactionRefusedError(f"DynamoDB refused a transaction: {refused}") from error
            return reasons
        return None

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call DynamoDB, turning "try again later" failures of any kind into `UnavailableError`."""
        deadline = _deadline.get()
        if deadline is not None and time.monotonic() + WORST_CALL_SECONDS > deadline:
            # A call that might outlast the function would end in Lambda's bare timeout error, not a 503.
            raise UnavailableError(f"DynamoDB {operation}: too little time left to wait for an answer")
        try:
            response: dict[str, Any] = getattr(self.client, operation)(**params)
        except (ClientError, BotoConnectionError, HTTPClientError) as error:
            if isinstance(error, ClientError) and _code(error) == MISSING_TABLE_CODE:
                raise UnavailableError(
                    f"the DynamoDB table {self.table_name!r} does not exist ({MISSING_TABLE_CODE} from {operation})"
                ) from error
            if is_unavailable(error):
                raise UnavailableError(f"DynamoDB {operation}: {error}") from error
            raise
        return response

    def _writing[T](self, attempt: Callable[[], T], committed: Callable[[], T | None]) -> T:
        """Run a write's `attempt` until it does not lose a race, and make sure no 503 hides a committed write.

        `committed` reads the table and gives the write's result if this request's write is stored (found by its
        write token), else None. A 503 is only answered once that read has not found it: a try that timed out or
        was cut off may well have committed, and the client told "unavailable" would then repeat a change already
        made (and find its own address "taken", its own user "not found").
        """
        deadline = _deadline.get()
        # The last moment a try may start: one whose first call could not finish in time is refused by `_call`.
        last_start = time.monotonic() + RACE_SECONDS if deadline is None else deadline - WORST_CALL_SECONDS
        try:
            losses = 0
            while True:
                try:
                    return attempt()
                except _LostRaceError:
                    losses += 1
                pause = random.uniform(0, min(RACE_PAUSE_LIMIT_SECONDS, RACE_PAUSE_SECONDS * 2**losses))
                if time.monotonic() + pause > last_start:
                    # The last try's own retry may have failed the condition its first send had met.
                    raise UnavailableError(f"the write lost {losses} races in a row, until its time ran out")
                time.sleep(pause)
        except UnavailableError:
            try:
                stored = committed()
            except UnavailableError:
                stored = None  # no telling; the 503 stands, with its first cause
            if stored is None:
                raise
            return stored


def _write_token() -> str:
    return uuid.uuid4().hex


def _now() -> str:
    """ISO-8601 UTC with fixed-width microseconds, so the strings sort as the instants do."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _listing_key(user: User) -> Item:
    return listing_key(user["createdAt"], user["id"])


def _fields(user: User, version: int, write: str, creator: str | None) -> Item:
    created_by = {} if creator is None else {CREATED_BY: {"S": creator}}
    return created_by | {
        VERSION: {"N": str(version)},
        WRITTEN_BY: {"S": write},
        "id": {"S": user["id"]},
        "name": {"S": user["name"]},
        "email": {"S": user["email"]},
        "createdAt": {"S": user["createdAt"]},
        "updatedAt": {"S": user["updatedAt"]},
    }


def _user_item(user: User, version: int, write: str, creator: str | None) -> Item:
    return user_key(user["id"]) | _fields(user, version, write, creator)


def _listing_item(user: User, version: int, write: str, creator: str | None) -> Item:
    """A full copy of the user, so a page is one Query and no further reads."""
    return _listing_key(user) | _fields(user, version, write, creator)


def _email_item(email: str, user_id: str) -> Item:
    return address_key(email) | {HOLDER: {"S": user_id}}


def _tombstone(user_id: str, write: str) -> Item:
    return user_key(user_id) | {
        WRITTEN_BY: {"S": write},
        DELETED_AT: {"S": _now()},
        EXPIRES_AT: {"N": str(int(time.time()) + TOMBSTONE_SECONDS)},
    }


def _is_tombstone(item: Item) -> bool:
    return DELETED_AT in item


def _creator(item: Item) -> str | None:
    return item.get(CREATED_BY, {}).get("S")


def _written_by(item: Item) -> str | None:
    return item.get(WRITTEN_BY, {}).get("S")


def _public(item: Item) -> User:
    return User(
        id=item["id"]["S"],
        name=item["name"]["S"],
        email=item["email"]["S"],
        createdAt=item["createdAt"]["S"],
        updatedAt=item["updatedAt"]["S"],
    )


def lost_race(error: ClientError) -> bool:
    return _code(error) in LOST_RACE_CODES


def is_unavailable(error: Exception) -> bool:
    """True for failures that say "not now" (throttling, a server error, no connection), not "never"."""
    if isinstance(error, BotoConnectionError | HTTPClientError):
        return True
    return isinstance(error, ClientError) and _code(error) in UNAVAILABLE_CODES


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def from_environment() -> Users:
    """The table the function is configured with (USERS_TABLE, the page token keys), behind a new client.

    The endpoint, region and credentials are the SDK's own settings (AWS_ENDPOINT_URL_DYNAMODB locally).
    """
    name = os.environ.get(TABLE_VARIABLE, "")
    if not name:
        raise RuntimeError(f"{TABLE_VARIABLE} is not set: set it to the name of the users DynamoDB table")
    return Users(boto3.client("dynamodb", config=CLIENT_CONFIG), name, PageTokens.from_environment())
