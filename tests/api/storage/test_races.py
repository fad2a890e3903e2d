"""Concurrent requests against one moto server: exactly one winner per address, nothing lost or leaked.

Threads call the Lambda handler at once; the server applies each DynamoDB request atomically, as DynamoDB does.
After each race the raw table is read: users, listing entries and address items still agree.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import storage
from botocore.awsrequest import AWSPreparedRequest

from flask_lambda.moto_server import MotoServer
from tests.api.conftest import Api, Reply, users_table
from tests.api.faults import Faults, then
from tests.api.stored import address_holders


def together(count: int, request: Callable[[int], Reply]) -> list[Reply]:
    """Run `request(0..count-1)` in as many threads, released at the same moment."""
    start = threading.Barrier(count)

    def run(index: int) -> Reply:
        start.wait(timeout=30)
        return request(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run, index) for index in range(count)]
        return [future.result(timeout=120) for future in futures]


def mixed_case(address: str, variant: int) -> str:
    """The address with its letters' case flipped by the bits of `variant`."""
    letters = [i for i, char in enumerate(address) if char.isalpha()]
    chars = list(address)
    for bit, index in enumerate(letters):
        if variant >> (bit % 20) & 1:
            chars[index] = chars[index].upper()
    return "".join(chars)


def listed(api: Api) -> list[dict[str, Any]]:
    return [user for page in api.walk(7) for user in page]


def test_twenty_posts_of_one_address_in_mixed_case_have_one_winner(api: Api, dynamodb: Any) -> None:
    addresses = [mixed_case("race.winner@example.com", n * 7919) for n in range(20)]
    assert len({address.lower() for address in addresses}) == 1
    assert len(set(addresses)) == 20

    replies = together(20, lambda n: api.post("/users", {"name": f"Racer {n}", "email": addresses[n]}))

    assert Counter(reply.status for reply in replies) == {201: 1, 409: 19}
    winner = next(reply.json() for reply in replies if reply.status == 201)
    for reply in replies:
        if reply.status == 409:
            assert reply.json()["errors"] == {"email": "belongs to another user"}
    assert listed(api) == [winner]
    assert address_holders(dynamodb) == {"race.winner@example.com": winner["id"]}


def test_ten_users_patching_to_one_new_address_have_one_winner(api: Api, dynamodb: Any) -> None:
    users = [api.create(f"User {n}", f"user{n}@example.com") for n in range(10)]

    replies = together(
        10, lambda n: api.patch(f"/users/{users[n]['id']}", {"email": mixed_case("shared@example.com", n * 31)})
    )

    assert Counter(reply.status for reply in replies) == {200: 1, 409: 9}
    winner_index = next(n for n, reply in enumerate(replies) if reply.status == 200)
    winner = replies[winner_index].json()
    assert winner["email"].lower() == "shared@example.com"
    for n, user in enumerate(users):
        current = api.get(f"/users/{user['id']}").json()
        assert current == (winner if n == winner_index else user)
    holders = address_holders(dynamodb)
    assert holders["shared@example.com"] == winner["id"]
    assert len(holders) == 10
    # The winner's old address is free again; the losers still hold theirs.
    assert api.post("/users", {"name": "Newcomer", "email": f"USER{winner_index}@example.com"}).status == 201
    loser = (winner_index + 1) % 10
    assert api.post("/users", {"name": "Thief", "email": f"user{loser}@example.com"}).status == 409


def test_fifty_distinct_parallel_posts_are_all_created_and_listed_once(api: Api, dynamodb: Any) -> None:
    replies = together(50, lambda n: api.post("/users", {"name": f"Parallel {n}", "email": f"p{n}@example.com"}))

    assert [reply.status for reply in replies] == [201] * 50
    created = {reply.json()["id"]: reply.json() for reply in replies}
    assert len(created) == 50
    for limit in (1, 7, 50, 100):
        seen = [user for page in api.walk(limit) for user in page]
        assert len(seen) == 50
        assert {user["id"]: user for user in seen} == created
    assert len(address_holders(dynamodb)) == 50


def test_posts_and_patches_racing_for_one_address_have_one_winner(api: Api, dynamodb: Any) -> None:
    users = [api.create(f"User {n}", f"user{n}@example.com") for n in range(6)]

    def request(n: int) -> Reply:
        address = mixed_case("contested@example.com", n * 13)
        if n < 6:
            return api.patch(f"/users/{users[n]['id']}", {"name": f"Patched {n}", "email": address})
        return api.post("/users", {"name": f"Posted {n}", "email": address})

    replies = together(12, request)

    statuses = Counter(reply.status for reply in replies)
    assert statuses[409] == 11
    assert statuses[200] + statuses[201] == 1
    holders = address_holders(dynamodb)
    winner = next(reply.json() for reply in replies if reply.status in (200, 201))
    assert holders["contested@example.com"] == winner["id"]
    # Every loser is exactly as it was: the rejected PATCHes changed neither the name nor the address.
    for user in users:
        if user["id"] != winner["id"]:
            assert api.get(f"/users/{user['id']}").json() == user


def test_changes_racing_a_delete_leave_no_address_behind(api: Api, dynamodb: Any) -> None:
    for round_ in range(3):
        user = api.create("Doomed", f"doomed{round_}@example.com")
        path = f"/users/{user['id']}"

        def request(n: int, path: str = path, round_: int = round_) -> Reply:
            if n == 0:
                return api.delete(path)
            return api.patch(path, {"email": f"moved{round_}.{n}@example.com"})

        replies = together(4, request)

        assert replies[0].status == 204
        assert {reply.status for reply in replies[1:]} <= {200, 404}
        assert api.get(path).status == 404
        assert address_holders(dynamodb) == {}
        # Every address involved is free.
        for n in range(1, 4):
            assert api.post("/users", {"name": "Reuse", "email": f"moved{round_}.{n}@example.com"}).status == 201
        assert api.post("/users", {"name": "Reuse", "email": f"doomed{round_}@example.com"}).status == 201
        for page in api.walk(100):
            for listed_user in page:
                assert api.delete(f"/users/{listed_user['id']}").status == 204


def slow_network(request: AWSPreparedRequest) -> None:
    """Every call takes a little longer on its way, as over a real network: the races are wider."""
    time.sleep(NETWORK_SECONDS)


NETWORK_SECONDS = 0.01


def test_ten_concurrent_changes_of_one_users_address_all_succeed(api: Api, faults: Faults, dynamodb: Any) -> None:
    """Contention is no outage: each PATCH re-reads and re-applies until it commits (the last writer wins).

    Over a network slow enough to make the races wide; every round, every writer wins in the end.
    """
    faults.always(slow_network)
    users = []
    for round_ in range(20):
        user = api.create(f"Contended {round_}", f"contended{round_}@example.com")
        users.append(user["id"])
        path = f"/users/{user['id']}"
        addresses = [f"round{round_}.writer{n}@example.com" for n in range(10)]

        def change(n: int, path: str = path, addresses: list[str] = addresses) -> Reply:
            return api.patch(path, {"email": addresses[n]})

        replies = together(10, change)

        failed = [reply.body for reply in replies if reply.status != 200]
        assert not failed, failed
        final = api.get(path).json()
        assert final["email"] in addresses
        # One reservation per user, for its final address (the table agrees with itself): none lost, none leaked.
        assert address_holders(dynamodb)[final["email"]] == user["id"]
        assert sorted(address_holders(dynamodb).values()) == sorted(users)


LOSSES = 12  # more than any fixed number of tries a write used to get


def test_a_change_that_loses_many_races_in_a_row_still_commits(api: Api, faults: Faults, moto: MotoServer) -> None:
    """Each of the PATCH's first LOSSES transactions meets a change another instance made just before it."""
    user = api.create("Ada", "ada@example.com")
    other = users_table(moto.endpoint)

    def change(n: int) -> Callable[[], object]:
        return lambda: other.update(user["id"], name=f"Other {n}")

    faults.queue("TransactWriteItems", *(then(change(n)) for n in range(LOSSES)))

    reply = api.patch(f"/users/{user['id']}", {"email": "countess@example.com"})

    assert reply.status == 200, reply.body
    assert reply.json()["name"] == f"Other {LOSSES - 1}"  # re-applied to the user as the last change left it
    assert reply.json()["email"] == "countess@example.com"
    assert faults.count("TransactWriteItems") == 1 + LOSSES + 1  # the create's, the lost ones, the winner


def test_a_change_racing_until_its_time_runs_out_is_503(api: Api, faults: Faults, moto: MotoServer) -> None:
    """Losing for as long as the invocation lasts: a 503 while there is still time to answer, and nothing changed."""
    user = api.create("Ada", "ada@example.com")
    other = users_table(moto.endpoint)
    changes = itertools.count()
    faults.always(then(lambda: other.update(user["id"], name=f"Other {next(changes)}")), "TransactWriteItems")
    hurried = Api(api.handler, api.contract, timeout_seconds=storage.WORST_CALL_SECONDS + 1.5)

    started = time.monotonic()
    reply = hurried.patch(f"/users/{user['id']}", {"email": "countess@example.com"})

    assert reply.status == 503
    assert time.monotonic() - started < 2.5
    faults.always(None)
    assert api.get(f"/users/{user['id']}").json()["email"] == "ada@example.com"
