"""A person's own self-service on the developer hub (``/v1/client``): who they are.

``/v1/client`` is a person's: the partner's user signed in through the partner
(``POST /v1/integrations/auth/session``), or any EVCare user with their own token. An
integration's own client-credentials token acts for no person, so it is refused here
(``403``): its backend signs the user in first. Everything a client reads there is
their own (their vehicles, sessions and tickets), whatever else their role may read.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.errors import Forbidden, NotFound
from evcare.identity import repository
from evcare.identity.models import AccountRole, Organization, User
from evcare.identity.principal import Principal


@dataclass(frozen=True)
class Client:
    user: User
    # Their role in their organization (``CLIENT`` for someone who belongs to none).
    role: AccountRole
    organization: Organization | None


def require_person(principal: Principal) -> Principal:
    """A person's token: an integration's own token is refused (it is nobody's self)."""
    if principal.is_integration:
        raise Forbidden(
            "/v1/client is a person's self-service: sign the user in "
            "(POST /v1/integrations/auth/exchange, then /v1/integrations/auth/session)"
        )
    return principal


async def client_of(session: AsyncSession, principal: Principal) -> Client:
    """The caller, their role in their organization and the organization, if any."""
    require_person(principal)
    user = await repository.get_user(session, principal.user_id)
    if user is None:
        raise NotFound("User not found")
    member = await repository.membership_of(session, user.id)
    if member is None:
        return Client(user=user, role=AccountRole.CLIENT, organization=None)
    organization = await repository.get_organization(session, member.organization_id)
    return Client(user=user, role=AccountRole(member.role), organization=organization)
