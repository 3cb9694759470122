"""One way for every surface to turn any failure into its own documented error body.

A surface supplies a ``render(request, report)`` function; this module maps domain
errors, request validation errors, HTTP errors (404 route, 405), input the surface
refuses before routing (control characters, oversized bodies: :mod:`.inputs`) and
unexpected exceptions (500 with the request id, never a stack trace) onto an
:class:`~evcare.core.errors.ErrorReport` and calls it.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evcare.core.errors import DomainError, ErrorReport, FieldError, NotFound
from evcare.core.observability import request_id_of
from evcare.surfaces.ids import ID_ERROR
from evcare.surfaces.inputs import InputGuard

log = logging.getLogger("evcare.errors")

Renderer = Callable[[Request, ErrorReport], Response]


def field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """``('body', 'connectors', 0, 'type')`` -> ``connectors.0.type``."""
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def validation_report(error: RequestValidationError) -> ErrorReport:
    missing = _path_id_not_found(error)
    if missing is not None:
        return domain_report(missing)
    fields = [
        FieldError(field_name(item.get("loc", ())), _clean_message(str(item.get("msg", ""))))
        for item in error.errors()
    ]
    return ErrorReport(
        status_code=422,
        title="Validation failed",
        detail="; ".join(f"{f.field}: {f.message}" for f in fields) or "Invalid request",
        code="validation_failed",
        fields=fields,
        extra={"raw": _jsonable_errors(error)},
    )


def _path_id_not_found(error: RequestValidationError) -> NotFound | None:
    """A malformed id in the path names no row: 404, worded as the service words it."""
    for item in error.errors():
        loc = item.get("loc", ())
        if item.get("type") == ID_ERROR and loc and loc[0] == "path":
            return NotFound(f"{item['ctx']['what']} {item.get('input')} not found")
    return None


def _clean_message(message: str) -> str:
    return message.removeprefix("Value error, ")


def _jsonable_errors(error: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(item.get("loc", ())), "msg": str(item.get("msg")), "type": item.get("type")}
        for item in error.errors()
    ]


def domain_report(error: DomainError) -> ErrorReport:
    return ErrorReport(
        status_code=error.status_code,
        title=error.title,
        detail=error.detail,
        code=error.code,
        fields=error.fields,
        extra=error.extra,
    )


def http_report(error: StarletteHTTPException) -> ErrorReport:
    title = HTTPStatus(error.status_code).phrase
    detail = error.detail if isinstance(error.detail, str) else title
    return ErrorReport(
        status_code=error.status_code,
        title=title,
        detail=detail,
        code=title.lower().replace(" ", "_"),
    )


def internal_report() -> ErrorReport:
    return ErrorReport(
        status_code=500,
        title="Internal Server Error",
        detail="An unexpected error occurred; quote the request id when reporting it",
        code="internal_error",
    )


def install_error_handlers(
    app: FastAPI, render: Renderer, *, streamed: frozenset[str] = frozenset()
) -> None:
    """``streamed``: routes whose body the route reads and bounds itself (see InputGuard)."""

    async def on_domain(request: Request, error: Exception) -> Response:
        assert isinstance(error, DomainError)
        response = render(request, domain_report(error))
        response.headers.update(error.extra.get("headers", {}))
        if "retry_after" in error.extra:
            response.headers["Retry-After"] = str(error.extra["retry_after"])
        return response

    async def on_validation(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        return render(request, validation_report(error))

    async def on_http(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        response = render(request, http_report(error))
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        return response

    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    # Inside the 500 guard: control characters and oversized bodies never reach a route.
    app.add_middleware(InputGuard, render=render, streamed=streamed)
    app.add_middleware(UnexpectedErrorMiddleware, render=render)


class UnexpectedErrorMiddleware:
    """Answers an unexpected exception with a 500 in the surface's shape and logs it."""

    def __init__(self, app: ASGIApp, render: Renderer) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            # Type and failing frame only: no traceback text, no message (it may hold data).
            log.error(
                "unhandled exception",
                extra={
                    "exc_type": type(error).__name__,
                    "frame": _failing_frame(error),
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "request_id": request_id_of(scope),
                },
            )
            if started:
                raise
            response = self.render(Request(scope), internal_report())
            await response(scope, receive, send)


def _failing_frame(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "unknown"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"
