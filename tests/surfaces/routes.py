"""Every HTTP route of the app, mounted surfaces included, and the id parameters each
declares: the walker test and the property test both start here, never from a hand list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, PlainValidator
from starlette.routing import Mount

from evcare.surfaces.ids import IdKind

ID_NAME = re.compile(r"(^id$|_id$|Id$|_ids$)")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the full path, mount prefix included: /api/v1/stations/{station_id}
    route: APIRoute


@dataclass(frozen=True)
class IdParameter:
    where: str  # path | query | body
    name: str  # as sent on the wire (the alias)
    kind: IdKind | None  # None: not one of the shared id types


def routes(app: FastAPI) -> list[Route]:
    return sorted(_walk(app.routes, ""), key=lambda r: (r.path, r.method))


def _walk(items: Any, prefix: str) -> Iterator[Route]:
    for context in iter_route_contexts(items):
        route = context.original_route
        if isinstance(route, Mount):
            yield from _walk(getattr(route.app, "routes", []), prefix + route.path)
        elif isinstance(route, APIRoute):
            for method in sorted(route.methods - {"HEAD"}):
                yield Route(method, prefix + (context.path_format or route.path_format), route)


def id_kind(annotation: Any, metadata: list[Any]) -> IdKind | None:
    """The shared id type behind a parameter (``StationId``, ``CustomerId | None``,
    ``list[ServiceId]``), or None."""
    found = list(metadata)
    pending = [annotation]
    while pending:
        current = pending.pop()
        if get_origin(current) is Annotated:
            found.extend(current.__metadata__)
        pending.extend(get_args(current))
    for item in found:
        if isinstance(item, PlainValidator) and isinstance(item.func, IdKind):
            return item.func
    return None


def id_parameters(route: APIRoute) -> list[IdParameter]:
    """Path, query and body parameters (body models walked) whose name says id."""
    found: list[IdParameter] = []
    for dependant in _dependants(route.dependant):
        for where, params in (("path", dependant.path_params), ("query", dependant.query_params)):
            for param in params:
                if ID_NAME.search(param.alias) or ID_NAME.search(param.name):
                    kind = id_kind(param.field_info.annotation, param.field_info.metadata)
                    found.append(IdParameter(where, param.alias, kind))
        for param in dependant.body_params:
            found.extend(_body_ids(param.field_info.annotation, set()))
    return found


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _body_ids(annotation: Any, seen: set[type]) -> Iterator[IdParameter]:
    for model in _models(annotation):
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            if ID_NAME.search(name):
                yield IdParameter("body", name, id_kind(field.annotation, field.metadata))
            yield from _body_ids(field.annotation, seen)


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from _models(arg)
