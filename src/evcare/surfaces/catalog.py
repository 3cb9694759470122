"""Every route of the three surfaces and the scopes it requires, read from the routes
themselves: the allowlist's vocabulary and what each bundle grants cannot drift from
the code."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute, Mount

from evcare.surfaces.deps import Authenticator


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # the full template, e.g. "/api/v1/stations/{stationId}"
    # None: no token is read (public); else every scope the route requires.
    scopes: frozenset[str] | None

    @property
    def key(self) -> str:
        """How an allowlist names it: ``METHOD /path/template``."""
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class RouteCatalog:
    endpoints: tuple[Endpoint, ...]
    # The route object a request is served by -> its full template (mount included).
    templates: dict[int, str] = field(default_factory=dict, compare=False, repr=False)

    def template_of(self, route: object) -> str | None:
        return self.templates.get(id(route))

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(endpoint.key for endpoint in self.endpoints)

    def granted_by(self, scopes: frozenset[str]) -> list[Endpoint]:
        """The authenticated endpoints whose every required scope is in ``scopes``."""
        return [
            endpoint
            for endpoint in self.endpoints
            if endpoint.scopes is not None and endpoint.scopes <= scopes
        ]

    @classmethod
    def of(cls, routes: Sequence[BaseRoute]) -> RouteCatalog:
        templates: dict[int, str] = {}
        found = sorted(set(_walk(routes, "", templates)), key=lambda e: (e.path, e.method))
        return cls(endpoints=tuple(found), templates=templates)


def _walk(
    routes: Sequence[BaseRoute], prefix: str, templates: dict[int, str]
) -> Iterator[Endpoint]:
    for context in iter_route_contexts(routes):
        route = context.original_route
        if isinstance(route, Mount):
            yield from _walk(route.routes, prefix + route.path, templates)
            continue
        if not isinstance(route, APIRoute) or context.path is None:
            continue
        path = prefix + context.path
        templates[id(route)] = path
        if not route.include_in_schema:
            continue
        scopes = _required_scopes(route.dependant)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            yield Endpoint(method=method, path=path, scopes=scopes)


def _required_scopes(dependant: Dependant) -> frozenset[str] | None:
    found: set[str] | None = None
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, Authenticator):
            found = (found or set()) | {str(scope) for scope in dependency.call.scopes}
        inner = _required_scopes(dependency)
        if inner is not None:
            found = (found or set()) | inner
    return None if found is None else frozenset(found)
