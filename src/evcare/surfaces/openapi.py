"""Each surface's OpenAPI document declares the errors its routes really answer, in the
surface's own error shape, without a ``responses=`` on every route.

The errors are derived from what a route depends on (:func:`error_statuses`):

| the route has | it can answer |
| --- | --- |
| an :class:`~evcare.surfaces.deps.Authenticator` (token required) | 401, 403 |
| an optional bearer token (a public read that shows more to an admin) | 401 (a bad token) |
| a path parameter | 404 |
| a write method (POST, PUT, PATCH, DELETE) | 400 (business rule), 409 |
| a write method with a token (its body may name another resource) | 404 |
| any parameter or body | 422 |
| a body (or one declared in ``openapi_extra``) | 413 (larger than the limit) |
| the surface is rate limited (``rate_limited``) | 429 |

FastAPI's own 422 (``HTTPValidationError``, a shape no surface sends) is replaced. A route
with no token at all is marked public (``security: []``); one whose token is optional
lists "no token" as an alternative (``security: [{HTTPBearer: []}, {}]``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.security.base import SecurityBase

from evcare.surfaces.deps import Authenticator

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# ``[{field, message}]``: the per-field list the CMS (``errors``) and hub (``details``) send.
FIELD_ERRORS: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["field", "message"],
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
    },
}


def error_schema(title: str, required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a surface's error body, for :func:`document_errors`."""
    return {"title": title, "type": "object", "required": required, "properties": properties}


_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _dependencies(dependency)


def _auth(route: RouteContext) -> str:
    """``required``, ``optional`` or ``none``: how the route reads a bearer token."""
    calls = [dependency.call for dependency in _dependencies(route.dependant)]
    if any(isinstance(call, Authenticator) for call in calls):
        return "required"
    if any(isinstance(call, SecurityBase) for call in calls):
        return "optional"
    return "none"


def _has_input(dependant: Dependant) -> bool:
    parts = (dependant, *_dependencies(dependant))
    return any(
        part.path_params
        or part.query_params
        or part.header_params
        or part.cookie_params
        or part.body_params
        for part in parts
    )


def error_statuses(route: RouteContext, method: str, *, rate_limited: bool) -> list[int]:
    """The error statuses ``method`` on ``route`` can answer (see the module's table)."""
    statuses: set[int] = set()
    auth = _auth(route)
    if auth == "required":
        statuses |= {401, 403}
    elif auth == "optional":
        statuses.add(401)
    if method in WRITE_METHODS:
        statuses |= {400, 409}
    if route.dependant.path_params or (method in WRITE_METHODS and auth != "none"):
        statuses.add(404)
    # A body the route reads itself (a streamed upload) is declared in ``openapi_extra``.
    extra = getattr(route.original_route, "openapi_extra", None) or {}
    declared_body = "requestBody" in extra
    if _has_input(route.dependant) or declared_body:
        statuses.add(422)
    if route.dependant.body_params or declared_body:
        statuses.add(413)
    if rate_limited:
        statuses.add(429)
    return sorted(statuses)


def document_errors(
    app: FastAPI,
    *,
    schema_name: str,
    schema: dict[str, Any],
    rate_limited: Callable[[RouteContext], bool] = lambda _route: False,
) -> None:
    """Make ``app.openapi()`` declare every route's errors with ``schema`` (see above)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        components = document.setdefault("components", {}).setdefault("schemas", {})
        components[schema_name] = schema
        reference = {"$ref": f"#/components/schemas/{schema_name}"}
        # (FastAPI keeps included routers as such; this walks the routes as get_openapi does.)
        for route in iter_route_contexts(app.routes):
            if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
                continue
            limited = rate_limited(route)
            for method in route.methods or ():
                operation = document["paths"][route.path_format][method.lower()]
                responses = operation.setdefault("responses", {})
                for status in error_statuses(route, method, rate_limited=limited):
                    responses[str(status)] = {
                        "description": HTTPStatus(status).phrase,
                        "content": {"application/json": {"schema": reference}},
                    }
                auth = _auth(route)
                if auth == "none":
                    operation["security"] = []
                elif auth == "optional":
                    operation["security"] = [*operation.get("security", []), {}]
        for name in _FASTAPI_VALIDATION_SCHEMAS:
            components.pop(name, None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
