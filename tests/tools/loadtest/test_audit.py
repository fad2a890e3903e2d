"""The audit against hand-written histories and store states: it accepts what the API may do, and names each lie.

Each story is a few clients' exchanges on a made-up clock; the final state is what the audit's own reads found.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tools.loadtest import audit
from tools.loadtest.history import CREATE, DELETE, GET, LIST, UPDATE, Exchange, FinalState

RUN = "run1"
A, B = "user-a", "user-b"


def user(user_id: str, name: str, email: str, created: str = "01", updated: str | None = None) -> dict[str, Any]:
    """A user as the API shows it; times are short sortable strings ("01" < "02")."""
    return {
        "id": user_id,
        "name": f"{RUN} {name}",
        "email": email,
        "createdAt": created,
        "updatedAt": updated or created,
    }


class Story:
    """Exchanges on a clock: each one starts and ends at the next ticks unless told otherwise."""

    def __init__(self) -> None:
        self.history: list[Exchange] = []
        self._clock = itertools.count(1)

    def add(
        self,
        kind: str,
        user_id: str | None,
        status: int | None,
        answer: Any = None,
        sent: dict[str, Any] | None = None,
        *,
        client: int = 1,
        at: tuple[float, float] | None = None,
        limit: int | None = None,
    ) -> Exchange:
        started, ended = at or (float(next(self._clock)), float(next(self._clock)))
        exchange = Exchange(client, kind, user_id, sent, status, answer, started, ended, limit=limit)
        self.history.append(exchange)
        return exchange

    def create(self, value: dict[str, Any], status: int | None = 201, **options: Any) -> Exchange:
        sent = {"name": value["name"], "email": value["email"]}
        return self.add(CREATE, None, status, value if status == 201 else None, sent, **options)

    def update(self, value: dict[str, Any], status: int | None = 200, email: bool = False, **options: Any) -> Exchange:
        sent = {"name": value["name"]} | ({"email": value["email"]} if email else {})
        return self.add(UPDATE, value["id"], status, value if status == 200 else None, sent, **options)

    def delete(self, user_id: str, status: int | None = 204, **options: Any) -> Exchange:
        return self.add(DELETE, user_id, status, **options)

    def get(self, user_id: str, found: dict[str, Any] | None, **options: Any) -> Exchange:
        return self.add(GET, user_id, 200 if found else 404, found, **options)


def final(
    *users: dict[str, Any], gone: tuple[str, ...] = (), pages: list[list[dict[str, Any]]] | None = None
) -> FinalState:
    """The store holding `users` (and 404 for `gone`), walked in one page unless `pages` says otherwise."""
    walk = [list(users)] if pages is None else pages
    state = FinalState(pages=walk, limit=max([len(page) for page in walk] + [1]))
    state.users = {value["id"]: value for value in users} | dict.fromkeys(gone)
    return state


def kinds(story: Story, state: FinalState) -> set[str]:
    return audit.audit(story.history, state, RUN).kinds()


def created_and_renamed() -> tuple[Story, dict[str, Any], dict[str, Any]]:
    story = Story()
    first = user(A, "c1 w1", "a@run1.example")
    second = user(A, "c2 w1", "a@run1.example", updated="02")
    story.create(first)
    story.update(second, client=2)
    return story, first, second


# -- what the API may do


def test_a_consistent_run_passes() -> None:
    story, _, second = created_and_renamed()
    story.get(A, second)
    result = audit.audit(story.history, final(second), RUN)
    assert result.passed, result.violations
    assert (result.users, result.live, result.listed, result.pages) == (1, 1, 1, 1)


def test_a_write_of_unknown_fate_may_or_may_not_have_landed() -> None:
    story, _, second = created_and_renamed()
    maybe = user(A, "c3 w1", "new@run1.example", updated="03")
    story.update(maybe, status=503, email=True, client=3)
    assert kinds(story, final(second)) == set()
    assert kinds(story, final(maybe)) == set()


def test_a_write_with_no_answer_may_land_after_writes_sent_later() -> None:
    story, _, _ = created_and_renamed()
    lost = story.update(user(A, "c3 w1", "a@run1.example", updated="03"), status=None, client=3)
    assert lost.fate_unknown
    assert kinds(story, final(user(A, "c3 w1", "a@run1.example", updated="03"))) == set()


def test_of_two_concurrent_acknowledged_writes_the_later_updated_at_is_last() -> None:
    story = Story()
    story.create(user(A, "c1 w1", "a@run1.example"))
    one = user(A, "c1 w2", "a@run1.example", updated="05")
    two = user(A, "c2 w1", "a@run1.example", updated="06")
    story.update(one, at=(10, 20))
    story.update(two, client=2, at=(11, 19))
    assert kinds(story, final(two)) == set()
    assert kinds(story, final(one)) == {audit.LOST_WRITE}


def test_a_delete_of_unknown_fate_may_or_may_not_have_happened() -> None:
    story, _, second = created_and_renamed()
    story.delete(A, status=503)
    assert kinds(story, final(second)) == set()
    assert kinds(story, final(gone=(A,), pages=[[]])) == set()


def test_two_deletes_one_204_and_one_404() -> None:
    story, _, _ = created_and_renamed()
    story.delete(A, at=(10, 20))
    story.delete(A, status=404, client=2, at=(11, 21))
    assert kinds(story, final(gone=(A,), pages=[[]])) == set()


def test_a_refused_create_and_a_409_leave_no_trace() -> None:
    story, _, second = created_and_renamed()
    story.create(user(B, "c2 w2", "A@RUN1.EXAMPLE"), status=409, client=2)
    story.update(user(A, "c1 w2", "taken@run1.example", updated="03"), status=409, email=True)
    assert kinds(story, final(second)) == set()


def test_users_of_others_are_only_checked_for_paging_and_addresses() -> None:
    story, _, second = created_and_renamed()
    other = {"id": "x", "name": "Ada", "email": "ada@example.com", "createdAt": "00", "updatedAt": "00"}
    assert kinds(story, final(other, second)) == set()


# -- each kind of lie, named


def test_lost_write_the_store_holds_an_older_value() -> None:
    story, first, _ = created_and_renamed()
    assert kinds(story, final(first)) == {audit.LOST_WRITE}


def test_lost_write_a_write_sent_after_another_was_answered_must_replace_it() -> None:
    story = Story()
    story.create(user(A, "c1 w1", "a@run1.example"))
    earlier = user(A, "c1 w2", "a@run1.example", updated="05")
    later = user(A, "c2 w1", "a@run1.example", updated="05")  # the same updatedAt: only the clock tells
    story.update(earlier, at=(10, 11))
    story.update(later, client=2, at=(12, 13))
    assert kinds(story, final(later)) == set()
    assert kinds(story, final(earlier)) == {audit.LOST_WRITE}


def test_lost_write_an_acknowledged_user_is_gone_with_no_delete() -> None:
    story, _, _ = created_and_renamed()
    assert kinds(story, final(gone=(A,), pages=[[]])) == {audit.LOST_WRITE}


def test_lost_write_the_stored_value_differs_from_its_write_s_answer() -> None:
    story, _, second = created_and_renamed()
    assert kinds(story, final(second | {"updatedAt": "09"})) == {audit.LOST_WRITE}


def test_resurrected_delete_in_the_store() -> None:
    story, _, second = created_and_renamed()
    story.delete(A)
    assert kinds(story, final(second)) == {audit.RESURRECTED}


def test_resurrected_delete_read_after_its_204() -> None:
    story, _, second = created_and_renamed()
    story.delete(A)
    story.get(A, second, client=2)
    assert kinds(story, final(gone=(A,), pages=[[]])) == {audit.RESURRECTED}


def test_resurrected_delete_listed_after_its_204() -> None:
    story, _, second = created_and_renamed()
    story.delete(A)
    story.add(LIST, None, 200, {"items": [second], "nextToken": None}, client=2, limit=5)
    assert kinds(story, final(gone=(A,), pages=[[]])) == {audit.RESURRECTED}


def test_duplicate_in_paging() -> None:
    story, _, second = created_and_renamed()
    assert kinds(story, final(second, pages=[[second], [second]])) == {audit.DUPLICATE_IN_PAGING}


def test_missing_in_paging() -> None:
    story, _, second = created_and_renamed()
    assert kinds(story, final(second, pages=[[]])) == {audit.MISSING_IN_PAGING}


def test_listed_but_not_stored() -> None:
    story, _, second = created_and_renamed()
    story.delete(A, status=503)
    state = final(gone=(A,), pages=[[second]])
    assert kinds(story, state) == {audit.LISTED_NOT_STORED}


def test_listing_differs_from_the_user() -> None:
    story, first, second = created_and_renamed()
    assert kinds(story, final(second, pages=[[first]])) == {audit.LISTING_DIFFERS}


def test_pages_out_of_order_or_short() -> None:
    story = Story()
    one = user(A, "c1 w1", "a@run1.example", created="01")
    two = user(B, "c1 w2", "b@run1.example", created="02")
    story.create(one)
    story.create(two)
    assert kinds(story, final(one, two, pages=[[one], [two]])) == set()
    assert kinds(story, final(one, two, pages=[[two], [one]])) == {audit.PAGING_ORDER}
    state = final(one, two, pages=[[one], [two]])
    state.limit = 2
    assert kinds(story, state) == {audit.PAGING_ORDER}


def test_duplicate_email_ignoring_case() -> None:
    story = Story()
    one = user(A, "c1 w1", "shared@run1.example")
    two = user(B, "c2 w1", "Shared@Run1.example")
    story.create(one)
    story.create(two, client=2)
    assert kinds(story, final(one, two, pages=[[one, two]])) == {audit.DUPLICATE_EMAIL}


def test_a_refused_write_applied() -> None:
    story, _, _ = created_and_renamed()
    refused = user(A, "c1 w2", "taken@run1.example", updated="03")
    story.update(refused, status=409, email=True)
    assert kinds(story, final(refused)) == {audit.REFUSED_APPLIED}


def test_a_value_nobody_wrote() -> None:
    story, _, second = created_and_renamed()
    assert kinds(story, final(second | {"name": f"{RUN} c9 w9"})) == {audit.UNKNOWN_VALUE}
    # The value of an acknowledged write with another email: that write's answer is not what is stored.
    assert kinds(story, final(second | {"email": "else@run1.example"})) == {audit.LOST_WRITE}
    # The name of a write of unknown fate that sent an email, with another email.
    maybe = user(A, "c3 w1", "new@run1.example", updated="03")
    story.update(maybe, status=503, email=True, client=3)
    assert kinds(story, final(maybe | {"email": "else@run1.example"})) == {audit.UNKNOWN_VALUE}


def test_two_deletes_acknowledged() -> None:
    story, _, _ = created_and_renamed()
    story.delete(A, at=(10, 20))
    story.delete(A, client=2, at=(11, 21))
    assert kinds(story, final(gone=(A,), pages=[[]])) == {audit.DOUBLE_DELETE}


def test_not_found_before_any_delete() -> None:
    story, _, second = created_and_renamed()
    story.get(A, None, client=2)
    assert kinds(story, final(second)) == {audit.NOT_FOUND_UNDELETED}


def test_a_stale_read() -> None:
    story, first, second = created_and_renamed()
    story.get(A, first, client=3)
    assert kinds(story, final(second)) == {audit.STALE_READ}


@pytest.mark.parametrize(
    ("kind", "status", "answer"),
    [
        (GET, 500, {"message": "Internal Server Error"}),
        (GET, 400, {"message": "bad"}),
        (GET, 200, {"id": A}),
        (UPDATE, 200, user(A, "c7 w7", "a@run1.example", updated="03")),  # not the change sent
        (LIST, 200, {"items": [], "nextToken": "more"}),  # a page that is short, yet not the last
    ],
)
def test_unexpected_answers(kind: str, status: int, answer: Any) -> None:
    story, _, second = created_and_renamed()
    sent = {"name": f"{RUN} c1 w2"} if kind == UPDATE else None
    story.add(kind, None if kind == LIST else A, status, answer, sent, limit=3 if kind == LIST else None)
    assert audit.UNEXPECTED_ANSWER in kinds(story, final(second))


def test_what_could_not_be_read_is_reported_unchecked() -> None:
    story, _, second = created_and_renamed()
    state = final(second)
    del state.users[A]
    state.unread[A] = "503"
    assert kinds(story, state) == {audit.UNCHECKED}
    state = final(second)
    state.walk_error = "a page answered 503"
    assert kinds(story, state) == {audit.UNCHECKED}


def test_the_summary_names_each_violation() -> None:
    story, first, _ = created_and_renamed()
    result = audit.audit(story.history, final(first), RUN)
    lines = audit.summary_lines(result)
    assert lines[0].startswith("Audit: FAILED: 1 violations (1 lost write)")
    assert lines[1].startswith(f"  lost write: {A}: ")
    assert audit.summary_lines(audit.audit(story.history, final(created_and_renamed()[2]), RUN))[0].startswith(
        "Audit: passed"
    )
