"""``Idempotency-Key`` for any surface's money POSTs: one dependency and one route class.

    router = APIRouter(route_class=IdempotentRoute)
    _pay = Authenticator(Scope.WRITE_WALLET)
    WalletWrite = Annotated[Principal, Depends(_pay)]

    @router.post("/pay", dependencies=[idempotent(_pay)])
    async def pay(body: PayIn, principal: WalletWrite, session: SessionDep) -> ...

:func:`idempotent` authenticates with the route's own authenticator (FastAPI runs it
once per request), claims the key per user, and answers a replay before the endpoint
runs. :class:`IdempotentRoute` (a :class:`TransactionalRoute`) writes the response into
the key's row in the request's transaction, right before it commits. Rules in
:mod:`evcare.integrations.idempotency`.
"""

# No `from __future__ import annotations`: the guard built in `idempotent()` names a
# local dependency in its signature, which FastAPI must see as an object, not a string.

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.params import Depends as DependsParam
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.errors import DomainError
from evcare.core.transactions import TransactionalRoute, end_request_transaction
from evcare.identity.principal import Principal
from evcare.integrations import idempotency
from evcare.surfaces.deps import Authenticator, RuntimeDep

REPLAYED_HEADER = "Idempotent-Replayed"
# Printable ASCII: what Stripe and the IETF draft allow in a key.
KEY_PATTERN = r"^[\x21-\x7e]+$"


class _Replay(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def idempotent(authenticator: Authenticator) -> DependsParam:
    """The dependency that makes a POST idempotent per ``Idempotency-Key``."""

    async def guard(
        request: Request,
        runtime: RuntimeDep,
        principal: Annotated[Principal, Depends(authenticator)],
        key: Annotated[
            str | None,
            Header(
                alias=idempotency.HEADER,
                min_length=1,
                max_length=255,
                pattern=KEY_PATTERN,
                description="Any unique string; a retry with the same key and body replays "
                "the first response for 24 hours",
            ),
        ] = None,
    ) -> None:
        if key is None:
            return
        found = await idempotency.claim(
            runtime.sessionmaker,
            user_id=principal.user_id,
            key=key,
            fingerprint=idempotency.fingerprint(
                request.method, request.url.path, await request.body()
            ),
        )
        if isinstance(found, idempotency.Outcome):
            raise _Replay(
                Response(
                    found.body,
                    status_code=found.status,
                    media_type=found.media_type,
                    headers={REPLAYED_HEADER: "true"},
                )
            )
        request.state.idempotency_claim = found

    dependency: DependsParam = Depends(guard)
    return dependency


def _claim_of(request: Request) -> idempotency.Claim | None:
    found: idempotency.Claim | None = getattr(request.state, "idempotency_claim", None)
    request.state.idempotency_claim = None
    return found


def _outcome(response: Response) -> idempotency.Outcome:
    return idempotency.Outcome(
        response.status_code, response.headers.get("content-type"), bytes(response.body)
    )


class IdempotentRoute(TransactionalRoute):
    """A transactional route whose claimed ``Idempotency-Key`` gets the response, written
    in the same transaction as the request's changes."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        # The endpoint itself; the transaction is ended here, around the key's outcome.
        handler = APIRoute.get_route_handler(self)

        async def idempotent_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except _Replay as replay:
                await end_request_transaction(request, commit=False)
                return replay.response
            except DomainError as error:
                await end_request_transaction(request, commit=error.keep_changes)
                claim = _claim_of(request)
                if claim is None:
                    raise
                refusal = await _render(request, error)
                await idempotency.record_apart(_sessionmaker(request), claim, _outcome(refusal))
                return refusal
            except (RequestValidationError, BaseException):
                await end_request_transaction(request, commit=False)
                await _release(request)
                raise
            claim = _claim_of(request)
            succeeded = response.status_code < 400
            session = _session(request)
            if claim is not None and succeeded and session is not None:
                await idempotency.record(session, claim, _outcome(response))
            await end_request_transaction(request, commit=succeeded)
            if claim is not None and not succeeded:
                await idempotency.release(_sessionmaker(request), claim)
            return response

        return idempotent_handler


def _session(request: Request) -> AsyncSession | None:
    session: AsyncSession | None = getattr(request.state, "db_session", None)
    return session


def _sessionmaker(request: Request) -> Any:
    return request.app.state.runtime.sessionmaker


async def _release(request: Request) -> None:
    claim = _claim_of(request)
    if claim is not None:
        await idempotency.release(_sessionmaker(request), claim)


async def _render(request: Request, error: DomainError) -> Response:
    """The surface's own rendering of ``error`` (its installed DomainError handler)."""
    render = request.app.exception_handlers[DomainError]
    response: Response = await render(request, error)
    return response
