"""The integrity audit: does the store, and did every answer, agree with what the API acknowledged?

Each write of a run sets a name no other request uses, so a stored user names the write that put its value there.
A user's writes are ordered by the API itself: every write reads the user, then stores its change only if the user
is still the version it read (DynamoDB's condition), and sets `updatedAt` to no earlier than the value it read. So
of two acknowledged writes, the one with the later `updatedAt`, or the one sent after the other was answered, came
last; a write whose fate is unknown (503, no answer) may have landed at any point, even after its answer, but then
still after every write it read. What is stored must be the last write by that order; a refused write (404, 409)
must never show. A 204 means the user is gone for good, and the listing must hold every live user once, in order.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .history import CREATE, DELETE, GET, LIST, UPDATE, WRITES, Exchange, FinalState

# The kinds of violation, as the report names them.
LOST_WRITE = "lost write"
RESURRECTED = "resurrected delete"
DUPLICATE_IN_PAGING = "duplicate in paging"
MISSING_IN_PAGING = "missing in paging"
LISTED_NOT_STORED = "listed but not stored"
LISTING_DIFFERS = "listing differs from the user"
PAGING_ORDER = "page size or order"
DUPLICATE_EMAIL = "duplicate email"
REFUSED_APPLIED = "refused write applied"
UNKNOWN_VALUE = "value nobody wrote"
DOUBLE_DELETE = "two deletes acknowledged"
NOT_FOUND_UNDELETED = "not found, never deleted"
STALE_READ = "stale read"
UNEXPECTED_ANSWER = "unexpected answer"
UNCHECKED = "could not be checked"

# What each operation may answer in a run that sends only valid requests. 429 and 503 say "not now" and leave a
# write's fate open; so does no answer at all, which is not a violation either (the network may lose one).
EXPECTED_STATUSES = {
    CREATE: {201, 409, 429, 503},
    GET: {200, 404, 429, 503},
    UPDATE: {200, 404, 409, 429, 503},
    DELETE: {204, 404, 429, 503},
    LIST: {200, 429, 503},
}
USER_FIELDS = {"id", "name", "email", "createdAt", "updatedAt"}


@dataclass(frozen=True)
class Violation:
    kind: str
    user_id: str | None
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.user_id + ': ' if self.user_id else ''}{self.detail}"


@dataclass
class Result:
    violations: list[Violation] = field(default_factory=list)
    users: int = 0  # users of this run checked
    live: int = 0  # ... found stored
    listed: int = 0  # users in the final walk, this run's and any others
    pages: int = 0

    @property
    def passed(self) -> bool:
        return not self.violations

    def kinds(self) -> set[str]:
        return {violation.kind for violation in self.violations}


def audit(history: Sequence[Exchange], final: FinalState, run: str) -> Result:
    """Check a run's history (every exchange of every client) against the store as read afterwards.

    `run` is the prefix of every name the run wrote: users without it belong to someone else and are checked only
    as the listing and address uniqueness demand.
    """
    return _Audit(history, final, run).result


class _Audit:
    def __init__(self, history: Sequence[Exchange], final: FinalState, run: str) -> None:
        self.final = final
        self.run = run
        self.result = Result(listed=sum(len(page) for page in final.pages), pages=len(final.pages))
        self.by_name: dict[str, Exchange] = {}
        self.by_user: dict[str, list[Exchange]] = defaultdict(list)
        for exchange in history:
            self.check_answer(exchange)
            if exchange.kind in WRITES and exchange.sent is not None:
                self.by_name[str(exchange.sent["name"])] = exchange
            user_id = self.target(exchange)
            if user_id is not None:
                self.by_user[user_id].append(exchange)
        stored = {user_id for user_id, user in final.users.items() if user is not None and self.ours(user)}
        listed = {str(user.get("id")) for user in self.walk() if self.ours(user)}
        for user_id in sorted(set(self.by_user) | stored | listed):
            self.check_user(user_id, self.by_user.get(user_id, []))
        for exchange in history:
            if exchange.kind == LIST and exchange.status == 200 and isinstance(exchange.answer, dict):
                for user in _users(exchange.answer.get("items")):
                    if self.ours(user):
                        self.check_seen(str(user["id"]), user, exchange.started, "a page")
        self.check_walk()
        self.check_emails()

    # -- helpers

    def add(self, kind: str, user_id: str | None, detail: str) -> None:
        self.result.violations.append(Violation(kind, user_id, detail))

    def ours(self, user: dict[str, Any]) -> bool:
        return str(user.get("name", "")).startswith(f"{self.run} ")

    def walk(self) -> list[dict[str, Any]]:
        return [user for page in self.final.pages for user in _users(page)]

    @staticmethod
    def target(exchange: Exchange) -> str | None:
        """The user an exchange is about: the one its path names, or the one a 201 created."""
        if exchange.kind == CREATE:
            answer = exchange.answer
            ok = exchange.status == 201 and isinstance(answer, dict) and isinstance(answer.get("id"), str)
            return str(answer["id"]) if ok else None
        return exchange.user_id

    def value(self, write: Exchange) -> dict[str, Any] | None:
        """The user an acknowledged write stored (None for any other write)."""
        answer = write.answer
        if not write.acknowledged or not isinstance(answer, dict) or write.sent is None:
            return None
        if write.kind == CREATE and answer.get("name") != write.sent["name"]:
            # A create whose first answer was lost answers with the user as it found it, which a client that
            # listed it may have changed meanwhile; what the create itself stored is known all the same.
            created = answer.get("createdAt")
            return {"id": answer.get("id"), **write.sent, "createdAt": created, "updatedAt": created}
        return answer

    # -- each answer on its own

    def check_answer(self, exchange: Exchange) -> None:
        status, answer, sent = exchange.status, exchange.answer, exchange.sent or {}
        where = exchange.user_id

        def unexpected(why: str) -> None:
            self.add(UNEXPECTED_ANSWER, where, f"{exchange.kind} by client {exchange.client}: {why}")

        if status is None:
            return None
        if status not in EXPECTED_STATUSES[exchange.kind]:
            return unexpected(f"{status} {_short(answer)}")
        if exchange.kind == UPDATE and status == 409 and "email" not in sent:
            return unexpected("409 for a change of name alone")
        if status in (200, 201) and exchange.kind != LIST:
            if not isinstance(answer, dict) or set(answer) != USER_FIELDS:
                return unexpected(f"{status} with {_short(answer)}, not a user")
            if exchange.kind != CREATE and answer["id"] != exchange.user_id:
                return unexpected(f"{status} with another user, {answer['id']!r}")
            if exchange.kind == UPDATE and any(answer[key] != value for key, value in sent.items()):
                return unexpected(f"200 with {_short(answer)}, not the change sent ({_short(sent)})")
        if exchange.kind == LIST and status == 200:
            ok = isinstance(answer, dict) and set(answer) == {"items", "nextToken"}
            items = answer.get("items") if ok else None
            if not isinstance(items, list) or len(_users(items)) != len(items) or len(items) > (exchange.limit or 0):
                return unexpected(f"200 with {_short(answer)}, not a page of at most {exchange.limit}")
            if answer["nextToken"] is not None and len(items) != exchange.limit:
                return unexpected(f"a page of {len(items)} users, not {exchange.limit}, that is not the last")
        return None

    # -- each user

    def check_user(self, user_id: str, exchanges: list[Exchange]) -> None:
        self.result.users += 1
        if user_id in self.final.unread or user_id not in self.final.users:
            why = self.final.unread.get(user_id, "it was not read")
            return self.add(UNCHECKED, user_id, f"the audit's GET failed: {why}")
        stored = self.final.users[user_id]
        deleted = [exchange for exchange in exchanges if exchange.kind == DELETE and exchange.status == 204]
        maybe_deleted = [exchange for exchange in exchanges if exchange.kind == DELETE and exchange.fate_unknown]
        if len(deleted) > 1:
            self.add(DOUBLE_DELETE, user_id, f"{len(deleted)} DELETEs answered 204 (clients {_clients(deleted)})")
        if stored is None:
            if not deleted and not maybe_deleted:
                self.add(LOST_WRITE, user_id, "the user is gone, yet no DELETE of it was acknowledged or unanswered")
        else:
            self.result.live += 1
            if deleted:
                self.add(RESURRECTED, user_id, f"a DELETE answered 204 (client {deleted[0].client}), yet it is stored")
            self.check_stored(user_id, stored, exchanges)
        removers = deleted + maybe_deleted
        for exchange in exchanges:
            if exchange.status == 404 and not any(
                other is not exchange and other.started < exchange.ended for other in removers
            ):
                self.add(
                    NOT_FOUND_UNDELETED,
                    user_id,
                    f"{exchange.kind} by client {exchange.client} answered 404 before any DELETE of it was sent",
                )
            if exchange.kind == GET and exchange.status == 200 and isinstance(exchange.answer, dict):
                self.check_seen(user_id, exchange.answer, exchange.started, f"a GET by client {exchange.client}")
        return None

    def acknowledged_values(self, user_id: str) -> list[tuple[Exchange, dict[str, Any]]]:
        pairs = []
        for exchange in self.by_user.get(user_id, []):
            value = self.value(exchange) if exchange.kind in WRITES else None
            if value is not None:
                pairs.append((exchange, value))
        return pairs

    def writer(self, user_id: str, user: dict[str, Any], what: str) -> Exchange | None:
        """The write whose value `user` holds, if it is one this user may hold (else a violation, and None)."""
        write = self.by_name.get(str(user.get("name")))
        if write is None or self.target(write) not in (user_id, None) or user.get("id") != user_id:
            self.add(UNKNOWN_VALUE, user_id, f"{what} holds {_short(user)}, which no write to this user sent")
            return None
        if write.refused:
            self.add(REFUSED_APPLIED, user_id, f"{what} holds {_short(user)}, whose write was answered {write.status}")
            return None
        if write.sent is not None and user.get("email") != write.sent.get("email", user.get("email")):
            self.add(UNKNOWN_VALUE, user_id, f"{what} holds {_short(user)}, not the email its write sent")
            return None
        return write

    def check_stored(self, user_id: str, stored: dict[str, Any], exchanges: list[Exchange]) -> None:
        """The user as stored must be the value of the last of its writes."""
        write = self.writer(user_id, stored, "the store")
        if write is None:
            return
        acknowledged = self.acknowledged_values(user_id)
        created = {value["createdAt"] for _, value in acknowledged}
        if created - {stored.get("createdAt")}:
            self.add(UNKNOWN_VALUE, user_id, f"stored with createdAt {stored.get('createdAt')}, answered {created}")
        value = self.value(write)
        if value is not None and value != stored:
            detail = f"stored {_short(stored)}, yet its write (client {write.client}) answered {_short(value)}"
            self.add(LOST_WRITE, user_id, detail)
            return
        for other, other_value in acknowledged:
            if other is write:
                continue
            later = str(other_value["updatedAt"]) > str(stored.get("updatedAt"))
            after = value is not None and other.started > write.ended
            if later or after:
                why = "was sent after that write was answered" if after else "has a later updatedAt"
                detail = (
                    f"stored {_short(stored)}, but the acknowledged write {_short(other_value)} "
                    f"(client {other.client}) {why}"
                )
                self.add(LOST_WRITE, user_id, detail)
                return

    def check_seen(self, user_id: str, user: dict[str, Any], started: float, what: str) -> None:
        """A user read during the run (GET, a page) must be a value it held no earlier than the read began."""
        exchanges = self.by_user.get(user_id, [])
        for delete in exchanges:
            if delete.kind == DELETE and delete.status == 204 and delete.ended < started:
                detail = f"{what} found it after a DELETE of it (client {delete.client}) had answered 204"
                self.add(RESURRECTED, user_id, detail)
                return
        write = self.writer(user_id, user, what)
        if write is None:
            return
        write_value = self.value(write)
        for other, value in self.acknowledged_values(user_id):
            if other is write or other.ended >= started:
                continue
            newer = str(value["updatedAt"]) > str(user.get("updatedAt"))
            if newer or (write_value is not None and write.ended < other.started):
                detail = f"{what} returned {_short(user)} after {_short(value)} (client {other.client}) was answered"
                self.add(STALE_READ, user_id, detail)
                return

    # -- the listing and the addresses

    def check_walk(self) -> None:
        final = self.final
        if final.walk_error is not None:
            self.add(UNCHECKED, None, f"the final walk of the list did not finish: {final.walk_error}")
            return
        for number, page in enumerate(final.pages, 1):
            last = number == len(final.pages)
            if len(page) > final.limit or (not last and len(page) != final.limit) or (last and not page and number > 1):
                self.add(
                    PAGING_ORDER,
                    None,
                    f"page {number} of {len(final.pages)} holds {len(page)} users (limit {final.limit})",
                )
        walk = self.walk()
        counts = Counter(str(user.get("id")) for user in walk)
        for user_id, count in counts.items():
            if count > 1:
                self.add(DUPLICATE_IN_PAGING, user_id, f"listed {count} times in one walk")
        positions = [f"{user.get('createdAt')}#{user.get('id')}" for user in walk]
        for before, after in itertools.pairwise(positions):
            if before > after:
                self.add(
                    PAGING_ORDER, after.partition("#")[2], f"listed after {before.partition('#')[2]}, created later"
                )
        for user_id, user in final.users.items():
            if user is not None and user_id not in counts:
                self.add(MISSING_IN_PAGING, user_id, f"stored as {_short(user)}, but not in the walk")
        for listed in walk:
            user_id = str(listed.get("id"))
            if user_id in final.users and final.users[user_id] is None:
                self.add(LISTED_NOT_STORED, user_id, f"listed as {_short(listed)}, but GET answers 404")
            elif final.users.get(user_id) not in (None, listed):
                self.add(
                    LISTING_DIFFERS, user_id, f"listed as {_short(listed)}, stored as {_short(final.users[user_id])}"
                )

    def check_emails(self) -> None:
        live = {str(user.get("id")): user for user in self.walk()}
        live.update((user_id, user) for user_id, user in self.final.users.items() if user is not None)
        holders: dict[str, list[str]] = defaultdict(list)
        for user_id, user in live.items():
            if self.final.users.get(user_id, user) is not None:
                holders[str(user.get("email")).casefold()].append(user_id)
        for address, user_ids in sorted(holders.items()):
            if len(user_ids) > 1:
                self.add(
                    DUPLICATE_EMAIL, None, f"{len(user_ids)} live users hold {address!r}: {', '.join(sorted(user_ids))}"
                )


def _users(value: Any) -> list[dict[str, Any]]:
    return [user for user in value if isinstance(user, dict) and "id" in user] if isinstance(value, list) else []


def _clients(exchanges: Iterable[Exchange]) -> str:
    return ", ".join(str(exchange.client) for exchange in exchanges)


def _short(value: Any, width: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def summary_lines(result: Result, describe: Callable[[Violation], str] = str, most: int = 20) -> list[str]:
    """The audit's verdict for a report: a line of counts, then each violation (at most `most` of them)."""
    scope = (
        f"{result.users} users of this run checked ({result.live} stored), "
        f"{result.listed} listed in a walk of {result.pages} pages"
    )
    if result.passed:
        return [f"Audit: passed: {scope}; every answer agrees with the store"]
    counts = Counter(violation.kind for violation in result.violations)
    kinds = ", ".join(f"{count} {kind}" for kind, count in counts.items())
    lines = [f"Audit: FAILED: {len(result.violations)} violations ({kinds}); {scope}"]
    lines += [f"  {describe(violation)}" for violation in result.violations[:most]]
    if len(result.violations) > most:
        lines.append(f"  ... and {len(result.violations) - most} more")
    return lines
