"""Public RevCare reads that show more to a signed-in admin: the caller, if any."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from evcare.core.transactions import SessionDep
from evcare.identity import service as identity
from evcare.identity.principal import Principal
from evcare.surfaces.deps import CredentialsDep

_optional_bearer = HTTPBearer(auto_error=False, description="optional: admins see more")


async def optional_principal(
    session: SessionDep,
    credentials: CredentialsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
) -> Principal | None:
    """No token means an anonymous visitor; a token that is sent must be valid (else 401)."""
    if bearer is None or not bearer.credentials:
        return None
    return await identity.authenticate(session, credentials, access_token=bearer.credentials)


Visitor = Annotated[Principal | None, Depends(optional_principal)]
