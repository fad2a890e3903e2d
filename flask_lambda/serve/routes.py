"""API Gateway's routing, as an HTTP API applies its route keys: which route a request takes, or its 404.

A full match of method and path wins over a greedy `{name+}` route, which wins over `$default`; a literal
segment wins over a `{name}` one, and a route's own method over its `ANY`. The event then carries the route's
key and its path parameters, as API Gateway's does.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

DEFAULT_ROUTE = "$default"


@dataclass(frozen=True)
class RouteMatch:
    route_key: str
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class _Route:
    key: str
    method: str
    segments: tuple[str, ...]

    @property
    def greedy(self) -> bool:
        return bool(self.segments) and self.segments[-1].endswith("+}")

    def match(self, method: str, segments: list[str]) -> tuple[tuple[int, ...], dict[str, str]] | None:
        """How specific a match this is (larger is more), and the parameters, or None."""
        if self.method not in {method, "ANY"}:
            return None
        parameters: dict[str, str] = {}
        ranks: list[int] = []
        for position, pattern in enumerate(self.segments):
            if pattern.endswith("+}"):
                rest = segments[position:]
                if not rest or rest == [""]:
                    return None  # a greedy variable takes at least one segment
                parameters[pattern[1:-2]] = "/".join(rest)
                ranks.append(0)
                break
            if position >= len(segments):
                return None
            if pattern.startswith("{"):
                parameters[pattern[1:-1]] = segments[position]
                ranks.append(1)
            elif pattern == segments[position]:
                ranks.append(2)
            else:
                return None
        else:
            if len(segments) != len(self.segments):
                return None
        return (0 if self.greedy else 1, *ranks, 1 if self.method == method else 0), parameters


class RouteTable:
    """The route keys an HTTP API was given; `("$default",)` sends every request."""

    def __init__(self, route_keys: tuple[str, ...]) -> None:
        self.route_keys = route_keys
        self._routes = []
        for key in route_keys:
            if key == DEFAULT_ROUTE:
                continue
            method, _, path = key.partition(" ")
            self._routes.append(_Route(key, method, tuple(path.strip("/").split("/")) if path != "/" else ("",)))
        self._default = DEFAULT_ROUTE in route_keys

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        """The route `method raw_path` takes; None where API Gateway answers 404 without calling the function."""
        # API Gateway matches, and hands over parameters, on the decoded path.
        path = unquote(raw_path, errors="replace")
        segments = path.strip("/").split("/") if path != "/" else [""]
        best: tuple[tuple[int, ...], _Route, dict[str, str]] | None = None
        for route in self._routes:
            found = route.match(method, segments)
            if found is not None and (best is None or found[0] > best[0]):
                best = (found[0], route, found[1])
        if best is not None:
            return RouteMatch(best[1].key, best[2])
        return RouteMatch(DEFAULT_ROUTE, {}) if self._default else None

    def first_get_path(self) -> str | None:
        """A path a plain GET reaches, for the line serve suggests trying: the first literal GET route's."""
        for route in self._routes:
            if route.method in {"GET", "ANY"} and not any("{" in segment for segment in route.segments):
                return "/" + "/".join(route.segments)
        return None
