"""Paging while the table changes, and at its edges: no restarts, no repeats, no empty last page."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api


def create(api: Api, count: int, prefix: str = "user") -> list[dict[str, Any]]:
    return [api.create(f"{prefix} {n}", f"{prefix}{n}@example.com") for n in range(count)]


def test_an_empty_table_is_one_empty_page(api: Api) -> None:
    assert api.get("/users").json() == {"items": [], "nextToken": None}
    assert api.walk(1) == [[]]


def test_a_table_of_exactly_full_pages_has_no_empty_last_page(api: Api) -> None:
    users = create(api, 14)
    assert api.walk(7) == [users[:7], users[7:]]
    assert api.walk(14) == [users]
    assert api.walk(1) == [[user] for user in users]
    assert api.walk(100) == [users]


def test_deleting_the_user_a_token_points_at_does_not_restart_the_walk(api: Api) -> None:
    users = create(api, 10)
    first = api.get("/users", "limit=3").json()
    assert first["items"] == users[:3]
    assert api.delete(f"/users/{users[2]['id']}").status == 204
    assert api.delete(f"/users/{users[3]['id']}").status == 204
    rest = api.get("/users", f"limit=100&nextToken={first['nextToken']}").json()
    assert rest == {"items": users[4:], "nextToken": None}


def test_users_created_during_a_walk_are_listed_at_its_end(api: Api) -> None:
    users = create(api, 5)
    first = api.get("/users", "limit=2").json()
    later = create(api, 3, "late")
    pages = [first["items"]]
    token = first["nextToken"]
    while token:
        page = api.get("/users", f"limit=2&nextToken={token}").json()
        pages.append(page["items"])
        token = page["nextToken"]
    assert [user for page in pages for user in page] == users + later


def test_a_change_keeps_the_users_place_in_the_list(api: Api) -> None:
    users = create(api, 4)
    changed = api.patch(f"/users/{users[1]['id']}", {"name": "Renamed", "email": "renamed@example.com"}).json()
    assert api.walk(100) == [[users[0], changed, users[2], users[3]]]


def test_a_token_outlives_the_whole_table_being_emptied(api: Api) -> None:
    users = create(api, 3)
    token = api.get("/users", "limit=1").json()["nextToken"]
    for user in users:
        assert api.delete(f"/users/{user['id']}").status == 204
    assert api.get("/users", f"nextToken={token}").json() == {"items": [], "nextToken": None}
