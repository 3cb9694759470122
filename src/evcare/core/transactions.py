"""The request-owned transaction.

The request owns the transaction: :class:`TransactionalRoute` commits the request's
session after the endpoint returns and **before** the response is sent, and rolls it
back on any error. Services and repositories only ``flush()``.

This module sits above :mod:`evcare.core.runtime` (which builds the engine from
:mod:`evcare.core.db` and the outbox from :mod:`evcare.core.events`), so core's imports
run one way: transactions -> runtime -> events -> db.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.db import PUBLISHED_EVENTS
from evcare.core.errors import DomainError
from evcare.core.runtime import Runtime


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_session(request: Request) -> AsyncSession:
    """The request's unit of work: opened here, committed (or rolled back) and closed by
    :class:`TransactionalRoute`, so a route that is not one cannot use it.

    One session per request: a second call (the authenticator's, then the route's) hands
    out the same one.

    A plain function, not a ``yield`` dependency: FastAPI wraps each of those in an
    AsyncExitStack and a shielded cancel scope, a measurable share of every request."""
    opened: AsyncSession | None = request.scope.get("state", {}).get("db_session")
    if opened is not None:
        return opened
    if not isinstance(request.scope.get("route"), TransactionalRoute):
        raise TypeError(f"{request.url.path}: the request session needs a TransactionalRoute")
    session = _runtime(request).sessionmaker()
    request.state.db_session = session
    return session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


class TransactionalRoute(APIRoute):
    """Commit the request's session before the response leaves; roll back on any error."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def transactional_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except DomainError as error:
                await end_request_transaction(request, commit=error.keep_changes)
                raise
            except BaseException:
                await end_request_transaction(request, commit=False)
                raise
            await end_request_transaction(request, commit=response.status_code < 400)
            return response

        return transactional_handler


async def end_request_transaction(request: Request, *, commit: bool) -> None:
    session: AsyncSession | None = getattr(request.state, "db_session", None)
    if session is None:
        return
    request.state.db_session = None
    published = session.info.pop(PUBLISHED_EVENTS, False)
    try:
        if commit:
            await session.commit()
            # Only a request that published wakes the dispatcher: waking it after every
            # read cost a claim UPDATE and a commit per request (the poll still finds the
            # rest).
            if published:
                _runtime(request).outbox.wake()
        else:
            await session.rollback()
    finally:
        await session.close()
