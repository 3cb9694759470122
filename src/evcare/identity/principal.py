"""Who is calling: the authenticated user (or partner client) a service acts for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from evcare.core.errors import Forbidden
from evcare.identity.models import Role


@dataclass(frozen=True)
class Principal:
    user_id: int
    role: str
    scopes: frozenset[str]
    session_id: uuid.UUID
    # The integration (``int_...``) the token was obtained through: set for a partner's
    # client-credentials token and for the tokens of users it signed in.
    integration_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_integration(self) -> bool:
        return self.role == Role.INTEGRATION

    def has(self, scope: str) -> bool:
        return scope in self.scopes


def require_admin(principal: Principal) -> None:
    """Admins only: anyone else is refused (403)."""
    if not principal.is_admin:
        raise Forbidden("Admin role required")
