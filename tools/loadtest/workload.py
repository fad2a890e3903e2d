"""Concurrent clients doing mixed CRUD on the users API, each recording every request and its answer.

Every write sets a name no other request uses, so the value a user holds names the write that put it there; emails
come partly from a small shared pool, so clients collide on addresses (409s) as well as on users. Each client's
choices come from its own seeded random generator; how the clients interleave is up to the machine.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .client import Answer, Api
from .history import CREATE, DELETE, GET, LIST, UPDATE, Exchange, FinalState

# How often each operation is drawn.
MIX = {CREATE: 20, GET: 15, UPDATE: 30, DELETE: 10, LIST: 25}
MAX_PAGE = 10  # clients list pages of 1..MAX_PAGE users
FINAL_READ_ATTEMPTS = 5  # the audit's own reads retry a 503 or a lost answer this many times


@dataclass(frozen=True)
class Plan:
    clients: int = 4
    seconds: float | None = None  # stop drawing new requests after this long...
    requests: int | None = None  # ... or after this many per client (whichever comes first)
    seed: int = 0
    run: str = "load"  # prefixes every name and email domain this run writes
    walk_limit: int = 7  # the final walk's page size

    @property
    def pool(self) -> list[str]:
        """The shared addresses: about two per client, so collisions are frequent but not the rule."""
        return [f"shared{number}@{self.run}.example" for number in range(2 * self.clients)]


class Registry:
    """The users the clients know of (created, or seen listed), shared by all of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: list[str] = []
        self._seen: dict[str, None] = {}  # insertion-ordered

    def add(self, user_id: str) -> None:
        with self._lock:
            if user_id not in self._seen:
                self._seen[user_id] = None
                self._ids.append(user_id)

    def forget(self, user_id: str) -> None:
        """Pick a user found gone no more (clients that picked it already still send their requests)."""
        with self._lock:
            if user_id in self._ids:
                self._ids.remove(user_id)

    def pick(self, rng: random.Random) -> str | None:
        with self._lock:
            return rng.choice(self._ids) if self._ids else None

    def ids(self) -> list[str]:
        """Every user ever known, forgotten ones included."""
        with self._lock:
            return list(self._seen)


class Client:
    """One client: draws an operation, sends it, records the exchange, until its plan says stop."""

    def __init__(self, number: int, api: Api, plan: Plan, registry: Registry, deadline: float | None) -> None:
        self.number = number
        self.api = api
        self.plan = plan
        self.registry = registry
        self.deadline = deadline
        self.rng = random.Random(f"{plan.seed}/{number}")
        self.history: list[Exchange] = []
        self._written = 0
        self._token: str | None = None  # where this client's own paging walk is
        self._operations: dict[str, Callable[[], None]] = {
            CREATE: self.create,
            GET: self.get,
            UPDATE: self.update,
            DELETE: self.delete,
            LIST: self.list,
        }

    def run(self) -> list[Exchange]:
        kinds, weights = list(MIX), list(MIX.values())
        try:
            self.create()  # something to work on from the start
            while self._more():
                self._operations[self.rng.choices(kinds, weights)[0]]()
        finally:
            self.api.close()
        return self.history

    def _more(self) -> bool:
        if self.plan.requests is not None and len(self.history) >= self.plan.requests:
            return False
        return self.deadline is None or time.monotonic() < self.deadline

    def _name(self) -> str:
        self._written += 1
        return f"{self.plan.run} c{self.number} w{self._written}"

    def _email(self) -> str:
        """A shared address half the time, in a random letter case (addresses are one ignoring case)."""
        if self.rng.random() < 0.5:
            address = self.rng.choice(self.plan.pool)
            return "".join(char.upper() if self.rng.random() < 0.3 else char for char in address)
        return f"c{self.number}w{self._written}@{self.plan.run}.example"

    def _record(
        self, kind: str, user_id: str | None, sent: dict[str, Any] | None, answer: Answer, **extra: Any
    ) -> None:
        self.history.append(
            Exchange(
                self.number,
                kind,
                user_id,
                sent,
                answer.status,
                answer.body,
                answer.started,
                answer.ended,
                error=answer.error,
                **extra,
            )
        )
        if user_id is not None and answer.status in (204, 404):
            self.registry.forget(user_id)

    def create(self) -> None:
        fields = {"name": self._name(), "email": self._email()}
        answer = self.api.call("POST", "/users", fields)
        self._record(CREATE, None, fields, answer)
        if answer.status == 201 and isinstance(answer.body, dict) and isinstance(answer.body.get("id"), str):
            self.registry.add(answer.body["id"])

    def get(self) -> None:
        user_id = self.registry.pick(self.rng)
        if user_id is None:
            return self.create()
        self._record(GET, user_id, None, self.api.call("GET", self.api.user_path(user_id)))
        return None

    def update(self) -> None:
        user_id = self.registry.pick(self.rng)
        if user_id is None:
            return self.create()
        changes = {"name": self._name()}
        if self.rng.random() < 0.5:
            changes["email"] = self._email()
        self._record(UPDATE, user_id, changes, self.api.call("PATCH", self.api.user_path(user_id), changes))
        return None

    def delete(self) -> None:
        user_id = self.registry.pick(self.rng)
        if user_id is None:
            return self.create()
        self._record(DELETE, user_id, None, self.api.call("DELETE", self.api.user_path(user_id)))
        return None

    def list(self) -> None:
        """The next page of this client's own walk (a new walk after its last page, or one time in five)."""
        if self.rng.random() < 0.2:
            self._token = None
        limit = self.rng.randint(1, MAX_PAGE)
        answer = self.api.call("GET", self.api.list_path(limit, self._token))
        self._record(LIST, None, None, answer, limit=limit)
        page = answer.body if answer.status == 200 and isinstance(answer.body, dict) else None
        if page is None:
            return
        token = page.get("nextToken")
        self._token = token if isinstance(token, str) else None
        for user in page.get("items") or []:
            if isinstance(user, dict) and str(user.get("name", "")).startswith(f"{self.plan.run} "):
                self.registry.add(str(user.get("id")))


def run_clients(api: Api, plan: Plan) -> tuple[list[Exchange], list[str]]:
    """Run the plan's clients at once; every exchange they made, and every user id they came to know."""
    registry = Registry()
    deadline = None if plan.seconds is None else time.monotonic() + plan.seconds
    clients = [Client(number, api, plan, registry, deadline) for number in range(1, plan.clients + 1)]
    with ThreadPoolExecutor(max_workers=plan.clients, thread_name_prefix="load-client") as executor:
        histories = list(executor.map(Client.run, clients))
    return [exchange for history in histories for exchange in history], registry.ids()


def read_final_state(api: Api, ids: list[str], walk_limit: int, workers: int = 4) -> FinalState:
    """Walk every page, then GET every user the history names or the walk listed (in parallel)."""
    state = FinalState(limit=walk_limit)
    token: str | None = None
    while True:
        answer = _settled(api, api.list_path(walk_limit, token))
        if answer.status != 200 or not isinstance(answer.body, dict):
            state.walk_error = f"a page answered {_describe(answer)}"
            break
        state.pages.append(list(answer.body.get("items") or []))
        token = answer.body.get("nextToken")
        if token is None:
            break
    listed = [str(user.get("id")) for page in state.pages for user in page if isinstance(user, dict)]
    wanted = list(dict.fromkeys([*ids, *listed]))

    def read(user_id: str) -> tuple[str, Answer]:
        return user_id, _settled(api, api.user_path(user_id))

    def read_all(chunk: list[str]) -> list[tuple[str, Answer]]:
        try:
            return [read(user_id) for user_id in chunk]
        finally:
            api.close()

    chunks = [wanted[start::workers] for start in range(workers)]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="load-audit") as executor:
        for results in executor.map(read_all, chunks):
            for user_id, answer in results:
                if answer.status == 200 and isinstance(answer.body, dict):
                    state.users[user_id] = answer.body
                elif answer.status == 404:
                    state.users[user_id] = None
                else:
                    state.unread[user_id] = _describe(answer)
    api.close()
    return state


def _settled(api: Api, path: str) -> Answer:
    """GET `path`, asking again after a 503 or a lost answer (a read changes nothing, so it can be repeated)."""
    answer = api.call("GET", path)
    for attempt in range(1, FINAL_READ_ATTEMPTS):
        if answer.status is not None and answer.status not in (429, 503):
            break
        time.sleep(0.2 * attempt)
        answer = api.call("GET", path)
    return answer


def _describe(answer: Answer) -> str:
    return f"no answer ({answer.error})" if answer.status is None else f"{answer.status} {answer.body}"
