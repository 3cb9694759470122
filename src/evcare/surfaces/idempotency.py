"""``Idempotency-Key`` for any surface's POSTs: one dependency and one route class.

    router = APIRouter(route_class=IdempotentRoute)
    _pay = Authenticator(Scope.WRITE_WALLET)
    WalletWrite = Annotated[Principal, Depends(_pay)]

    @router.post("/pay", dependencies=[idempotent(_pay)])
    async def pay(body: PayIn, principal: WalletWrite, session: SessionDep) -> ...

:func:`idempotent` authenticates with the route's own authenticator (FastAPI runs it
once per request), claims the key per user, and answers a replay before the endpoint
runs; ``idempotent(_pay, required=True)`` refuses a request without a key (400), and
:data:`accepts_key` is for routes no one is signed in to yet. :class:`IdempotentRoute`
(a :class:`TransactionalRoute`) writes the response into the key's row in the request's
transaction, right before it commits. Rules in :mod:`evcare.integrations.idempotency`.
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
from evcare.core.runtime import Runtime
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


_REPLAYS = "a retry with the same key and body replays the first response for 24 hours"


def _key_header(description: str) -> Any:
    return Header(
        alias=idempotency.HEADER,
        min_length=1,
        max_length=255,
        pattern=KEY_PATTERN,
        description=description,
    )


KeyHeader = Annotated[
    str | None, _key_header(f"Any unique string (1 to 255 printable ASCII); {_REPLAYS}")
]
RequiredKeyHeader = Annotated[
    str | None, _key_header(f"Required (400 without it): any unique string; {_REPLAYS}")
]


def idempotent(authenticator: Authenticator, *, required: bool = False) -> DependsParam:
    """The dependency that makes a POST idempotent per ``Idempotency-Key`` and caller.

    ``required``: the route refuses to run without a key (``IdempotencyKeyRequired``,
    400). The header stays optional in the OpenAPI schema so that its absence reaches the
    route's own refusal instead of a generic validation error."""

    async def guard(
        request: Request,
        runtime: RuntimeDep,
        principal: Annotated[Principal, Depends(authenticator)],
        key: KeyHeader = None,
    ) -> None:
        await _claim(request, runtime, principal, key)

    async def strict_guard(
        request: Request,
        runtime: RuntimeDep,
        principal: Annotated[Principal, Depends(authenticator)],
        key: RequiredKeyHeader = None,
    ) -> None:
        await _claim(request, runtime, principal, idempotency.require(key))

    dependency: DependsParam = Depends(strict_guard if required else guard)
    return dependency


async def _accept_key(key: KeyHeader = None) -> None:
    """A route with no caller to scope a key to (a sign-in): the key is checked, not kept."""


# For the routes that run before anyone is signed in (``client-token``, ``session``,
# ``revoke``): they take the header like every POST, but store no response, since there is
# no caller to scope it to and the response is a fresh credential (docs: 07-errors...).
accepts_key: DependsParam = Depends(_accept_key)


async def _claim(request: Request, runtime: Runtime, principal: Principal, key: str | None) -> None:
    if key is None:
        return
    found = await idempotency.claim(
        runtime.sessionmaker,
        _sealer(runtime),
        user_id=principal.user_id,
        key=key,
        fingerprint=idempotency.fingerprint(request.method, request.url.path, await request.body()),
    )
    if isinstance(found, idempotency.Outcome):
        raise _Replay(
            Response(
                found.body,
                status_code=found.status,
                media_type=found.media_type,
                # A first answer may carry a secret shown once: a replay is never cached.
                headers={REPLAYED_HEADER: "true", "Cache-Control": "no-store"},
            )
        )
    request.state.idempotency_claim = found


def _sealer(runtime: Runtime) -> idempotency.Sealer:
    return idempotency.sealer_for(runtime.settings.secret_key.get_secret_value())


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
                await idempotency.record_apart(
                    _sessionmaker(request), _sealer(_runtime(request)), claim, _outcome(refusal)
                )
                return refusal
            except (RequestValidationError, BaseException):
                await end_request_transaction(request, commit=False)
                await _release(request)
                raise
            claim = _claim_of(request)
            succeeded = response.status_code < 400
            session = _session(request)
            sealer = _sealer(_runtime(request))
            if claim is not None and succeeded and session is not None:
                await idempotency.record(session, sealer, claim, _outcome(response))
            await end_request_transaction(request, commit=succeeded)
            if claim is not None and succeeded and session is None:
                # A route that writes nothing (no session): its answer is kept apart.
                await idempotency.record_apart(
                    _sessionmaker(request), sealer, claim, _outcome(response)
                )
            if claim is not None and not succeeded:
                await idempotency.release(_sessionmaker(request), claim)
            return response

        return idempotent_handler


def _session(request: Request) -> AsyncSession | None:
    session: AsyncSession | None = getattr(request.state, "db_session", None)
    return session


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _sessionmaker(request: Request) -> Any:
    return _runtime(request).sessionmaker


async def _release(request: Request) -> None:
    claim = _claim_of(request)
    if claim is not None:
        await idempotency.release(_sessionmaker(request), claim)


async def _render(request: Request, error: DomainError) -> Response:
    """The surface's own rendering of ``error`` (its installed DomainError handler)."""
    render = request.app.exception_handlers[DomainError]
    response: Response = await render(request, error)
    return response
