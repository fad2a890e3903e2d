"""Writes whose answer was lost: the answer says what was stored, never what a failed retry suggests.

A DynamoDB stand-in (tests/api/faults.py) lets a transaction commit and then drops its answer, so the SDK retries it.
DynamoDB remembers the SDK's ClientRequestToken for 10 minutes and answers that retry with success; a retry that
comes later, or to a DynamoDB that forgets, fails the very conditions the first attempt met. Both cases are played
("token remembered", "token forgotten"): each must answer as the write was stored, and the table must agree.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import storage
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from flask_lambda.moto_server import MotoServer
from tests.api.conftest import Api, Reply, users_table
from tests.api.faults import Faults, answer_lost, error, then, timed_out
from tests.api.stored import address_holders, assert_table_agrees, raw_items, stored_users

TRANSACT = "TransactWriteItems"
TOKENS = pytest.mark.parametrize("token_remembered", [True, False], ids=["token remembered", "token forgotten"])


@pytest.fixture
def other(api: Api, moto: MotoServer) -> storage.Users:
    """Another function instance on the same table, for the concurrent changes a test makes happen."""
    return users_table(moto.endpoint)


@TOKENS
def test_a_create_whose_answer_was_lost_is_201_with_the_user_it_created(
    api: Api, faults: Faults, dynamodb: Any, token_remembered: bool
) -> None:
    faults.queue(TRANSACT, answer_lost(token_remembered=token_remembered))
    reply = api.post("/users", {"name": "Ada", "email": "ada@example.com"})

    assert reply.status == 201, reply.body
    assert faults.count(TRANSACT) == 2  # the SDK retried the transaction its first attempt had committed
    # With the token forgotten the retry failed its own conditions, and the user was read back and recognised.
    assert faults.count("GetItem") == (0 if token_remembered else 1)
    user = reply.json()
    assert api.get(f"/users/{user['id']}").json() == user
    assert stored_users(dynamodb) == {user["id"]: user}
    assert api.get("/users").json()["items"] == [user]


@pytest.mark.parametrize(
    "retry",
    [answer_lost(), answer_lost(token_remembered=False), timed_out, error("TransactionInProgressException")],
    ids=["retry's answer lost too", "retry's answer lost, token forgotten", "retry timed out", "retry still running"],
)
def test_a_create_the_sdk_gave_up_on_is_found_committed(
    api: Api, faults: Faults, dynamodb: Any, retry: Callable[[AWSPreparedRequest], AWSResponse | None]
) -> None:
    # No answer at all from the SDK: the write is looked for before anything is answered.
    faults.queue(TRANSACT, answer_lost(), retry)
    reply = api.post("/users", {"name": "Ada", "email": "ada@example.com"})

    assert reply.status == 201, reply.body
    user = reply.json()
    assert stored_users(dynamodb) == {user["id"]: user}


def test_a_create_that_never_arrived_is_503_and_leaves_nothing(api: Api, faults: Faults, dynamodb: Any) -> None:
    faults.queue(TRANSACT, timed_out, timed_out)
    reply = api.post("/users", {"name": "Ada", "email": "ada@example.com"})

    assert reply.status == 503
    assert faults.count("GetItem") == 1  # it was looked for, and not found
    assert raw_items(dynamodb) == []
    assert api.post("/users", {"name": "Ada", "email": "ada@example.com"}).status == 201


def test_a_create_that_really_lost_its_address_is_409(
    api: Api, faults: Faults, other: storage.Users, dynamodb: Any
) -> None:
    faults.queue(TRANSACT, then(lambda: other.create("Grace", "ADA@example.com")))
    reply = api.post("/users", {"name": "Ada", "email": "ada@example.com"})

    assert reply.status == 409
    assert [user["name"] for user in stored_users(dynamodb).values()] == ["Grace"]


CHANGES = pytest.mark.parametrize(
    "changes",
    [{"name": "Ada Lovelace"}, {"email": "countess@example.com"}, {"name": "Countess", "email": "ADA@Example.com"}],
    ids=["name", "address", "name and the address's case"],
)


@TOKENS
@CHANGES
def test_a_patch_whose_answer_was_lost_is_200_with_the_new_state(
    api: Api, faults: Faults, dynamodb: Any, changes: dict[str, str], token_remembered: bool
) -> None:
    user = api.create("Ada", "ada@example.com")
    faults.queue(TRANSACT, answer_lost(token_remembered=token_remembered))
    reply = api.patch(f"/users/{user['id']}", changes)

    assert reply.status == 200, reply.body
    patched = reply.json()
    assert patched == {**user, **changes, "updatedAt": patched["updatedAt"]}
    assert api.get(f"/users/{user['id']}").json() == patched
    assert stored_users(dynamodb) == {user["id"]: patched}
    assert assert_table_agrees(dynamodb)[user["id"]]["version"] == {"N": "2"}  # changed once, not twice
    assert address_holders(dynamodb) == {patched["email"].casefold(): user["id"]}


@CHANGES
def test_a_patch_the_sdk_gave_up_on_is_found_committed(
    api: Api, faults: Faults, dynamodb: Any, changes: dict[str, str]
) -> None:
    user = api.create("Ada", "ada@example.com")
    faults.queue(TRANSACT, answer_lost(), timed_out)
    reply = api.patch(f"/users/{user['id']}", changes)

    assert reply.status == 200, reply.body
    assert stored_users(dynamodb) == {user["id"]: reply.json()}


def test_a_patch_that_lost_a_race_and_then_its_answer_keeps_both_changes(
    api: Api, faults: Faults, other: storage.Users, dynamodb: Any
) -> None:
    user = api.create("Ada", "ada@example.com")
    faults.queue(
        TRANSACT,
        then(lambda: other.update(user["id"], name="Grace")),  # the first try loses to this change
        answer_lost(token_remembered=False),  # the second commits, and its retry fails its own version check
    )
    reply = api.patch(f"/users/{user['id']}", {"email": "countess@example.com"})

    assert reply.status == 200, reply.body
    assert reply.json()["name"] == "Grace"
    assert reply.json()["email"] == "countess@example.com"
    assert stored_users(dynamodb) == {user["id"]: reply.json()}
    assert assert_table_agrees(dynamodb)[user["id"]]["version"] == {"N": "3"}


def test_a_patch_that_really_lost_its_address_is_409_and_changes_nothing(
    api: Api, faults: Faults, other: storage.Users, dynamodb: Any
) -> None:
    user = api.create("Ada", "ada@example.com")
    faults.queue(TRANSACT, then(lambda: other.create("Grace", "countess@example.com")))
    reply = api.patch(f"/users/{user['id']}", {"name": "Countess", "email": "countess@example.com"})

    assert reply.status == 409
    assert api.get(f"/users/{user['id']}").json() == user


@TOKENS
def test_a_delete_whose_answer_was_lost_is_204(api: Api, faults: Faults, dynamodb: Any, token_remembered: bool) -> None:
    user = api.create("Ada", "ada@example.com")
    kept = api.create("Grace", "grace@example.com")
    faults.queue(TRANSACT, answer_lost(token_remembered=token_remembered))
    reply = api.delete(f"/users/{user['id']}")

    assert reply.status == 204, reply.body
    assert api.get(f"/users/{user['id']}").status == 404
    assert stored_users(dynamodb) == {kept["id"]: kept}
    assert len(raw_items(dynamodb)) == 3  # Grace's three items: no tombstone is left
    assert api.post("/users", {"name": "Ada again", "email": "ada@example.com"}).status == 201


@pytest.mark.parametrize("retry", [answer_lost(), timed_out], ids=["retry's answer lost too", "retry timed out"])
def test_a_delete_the_sdk_gave_up_on_is_found_committed(
    api: Api, faults: Faults, dynamodb: Any, retry: Callable[[AWSPreparedRequest], AWSResponse | None]
) -> None:
    user = api.create("Ada", "ada@example.com")
    faults.queue(TRANSACT, answer_lost(), retry)

    assert api.delete(f"/users/{user['id']}").status == 204
    assert raw_items(dynamodb) == []


def test_of_two_deletes_the_one_whose_answer_was_lost_is_the_204(
    api: Api, faults: Faults, other: storage.Users, dynamodb: Any
) -> None:
    user = api.create("Ada", "ada@example.com")
    second: list[str] = []

    def delete_again() -> None:
        try:
            other.delete(user["id"])
        except storage.UserNotFoundError:
            second.append("404")
        else:
            second.append("204")

    # The first delete commits and its answer is lost; a second DELETE comes before the first one's retry.
    faults.queue(TRANSACT, answer_lost(token_remembered=False), then(delete_again))

    assert api.delete(f"/users/{user['id']}").status == 204
    assert second == ["404"]
    assert raw_items(dynamodb) == []


def test_a_delete_that_lost_to_another_delete_is_404(api: Api, faults: Faults, other: storage.Users) -> None:
    user = api.create("Ada", "ada@example.com")
    faults.queue(TRANSACT, then(lambda: other.delete(user["id"])))

    assert api.delete(f"/users/{user['id']}").status == 404


def test_a_tombstone_left_behind_is_no_user(
    api: Api, faults: Faults, dynamodb: Any, caplog: pytest.LogCaptureFixture
) -> None:
    user = api.create("Ada", "ada@example.com")
    path = f"/users/{user['id']}"
    # The removal of the tombstone fails (the SDK's retry too): the user is deleted all the same.
    faults.queue("DeleteItem", error("InternalServerError", 500), error("InternalServerError", 500))

    assert api.delete(path).status == 204
    assert "keeps its tombstone" in caplog.text
    [tombstone] = raw_items(dynamodb)
    assert (tombstone["pk"]["S"], tombstone["sk"]["S"]) == (f"USER#{user['id']}", "USER")
    assert set(tombstone) == {"pk", "sk", "writtenBy", "deletedAt", "expiresAt"}
    assert api.get(path).status == 404
    assert api.patch(path, {"name": "Back"}).status == 404
    assert api.delete(path).status == 404
    assert api.get("/users").json() == {"items": [], "nextToken": None}
    assert api.post("/users", {"name": "Ada again", "email": "ada@example.com"}).status == 201
    assert len(raw_items(dynamodb)) == 4  # the new user's three items, and the tombstone
    assert faults.count(TRANSACT) == 3  # the two creates and the delete: the 404s wrote nothing


def test_concurrent_mixed_changes_with_lost_answers_lose_no_write(api: Api, faults: Faults, dynamodb: Any) -> None:
    """Every third transaction sent loses its answer, every other time with its token forgotten; six clients at once.

    Each client changes only its own user, so after every answer it knows what must be stored; they compete only
    for two shared addresses (a 409 must leave the user as it was). A request both of whose attempts lost their
    answer and whose write is not stored is a 503, which must also have changed nothing; the client then repeats
    it, as clients do. Which attempt meets a fault depends on the threads' timing; what is checked holds for all.
    """
    sent = itertools.count(1)
    lock = threading.Lock()

    def every_third(request: AWSPreparedRequest) -> AWSResponse | None:
        with lock:
            n = next(sent)
        if n % 3:
            return None
        return answer_lost(token_remembered=n % 2 == 0)(request)

    faults.always(every_third, TRANSACT)

    def client(n: int) -> dict[str, Any]:
        def send(request: Callable[[], Reply], unchanged: Callable[[], None]) -> Reply:
            for _ in range(20):
                reply = request()
                if reply.status != 503:
                    return reply
                unchanged()
            raise AssertionError(f"client {n}: twenty 503s in a row")

        def create(name: str, email: str) -> dict[str, Any]:
            def nobody_has_it() -> None:
                assert email not in {user["email"] for user in api.get("/users", "limit=100").json()["items"]}

            reply = send(lambda: api.post("/users", {"name": name, "email": email}), nobody_has_it)
            assert reply.status == 201, reply.body
            created: dict[str, Any] = reply.json()
            assert api.get(f"/users/{created['id']}").json() == created
            return created

        user = create(f"Client {n}", f"client{n}@example.com")

        def as_it_was() -> None:
            assert api.get(f"/users/{user['id']}").json() == user

        def patch(changes: dict[str, str], allowed: frozenset[int] = frozenset({200})) -> None:
            nonlocal user
            reply = send(lambda: api.patch(f"/users/{user['id']}", changes), as_it_was)
            assert reply.status in allowed, reply.body
            if reply.status == 200:
                assert reply.json() == {**user, **changes, "updatedAt": reply.json()["updatedAt"]}
                user = reply.json()
            as_it_was()

        patch({"name": f"Client {n} renamed"})
        patch({"email": f"shared{n % 2}@example.com"}, frozenset({200, 409}))
        patch({"email": f"client{n}.own@example.com"})
        assert send(lambda: api.delete(f"/users/{user['id']}"), as_it_was).status == 204
        assert api.get(f"/users/{user['id']}").status == 404
        user = create(f"Client {n} again", f"client{n}@example.com")
        patch({"name": f"Client {n} last", "email": f"shared{n % 2}@example.com"}, frozenset({200, 409}))
        return user

    with ThreadPoolExecutor(max_workers=6) as pool:
        finals = list(pool.map(client, range(6), timeout=120))

    assert stored_users(dynamodb) == {user["id"]: user for user in finals}
    assert sorted(map(str, api.get("/users", "limit=100").json()["items"])) == sorted(map(str, finals))
    assert faults.count(TRANSACT) > 30


def test_a_tombstone_left_behind_expires_by_epoch_seconds(api: Api, faults: Faults, dynamodb: Any) -> None:
    """DynamoDB's TTL only reads a Number of seconds since the epoch (a string or milliseconds never expire)."""
    user = api.create("Ada", "ada@example.com")
    faults.queue("DeleteItem", error("InternalServerError", 500), error("InternalServerError", 500))
    before = time.time()

    assert api.delete(f"/users/{user['id']}").status == 204

    [tombstone] = raw_items(dynamodb)
    assert set(tombstone["expiresAt"]) == {"N"}
    expires = tombstone["expiresAt"]["N"]
    assert expires.isdigit(), expires
    assert before + storage.TOMBSTONE_SECONDS - 1 <= int(expires) <= time.time() + storage.TOMBSTONE_SECONDS + 1
