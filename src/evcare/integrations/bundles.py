"""The four access bundles of the developer hub, as scope sets, and the role hints each
allows in federated sign-in. ALL_ACCESS is the union (identity's PARTNER_SCOPES)."""

from __future__ import annotations

from enum import StrEnum

from evcare.identity.models import AccountRole
from evcare.identity.scopes import PARTNER_SCOPES, Scope


class Bundle(StrEnum):
    ORGANIZATION_ACCESS = "ORGANIZATION_ACCESS"
    FLEET_MANAGER_ACCESS = "FLEET_MANAGER_ACCESS"
    CLIENT_ACCESS = "CLIENT_ACCESS"
    ALL_ACCESS = "ALL_ACCESS"


# Every bundle signs its platform's users in, reads who they are, and manages the
# integration's own subscription, usage and webhook endpoints.
_BASE = frozenset(
    {
        Scope.READ_PROFILE,
        Scope.FEDERATE_USERS,
        Scope.READ_SUBSCRIPTION,
        Scope.WRITE_SUBSCRIPTION,
        Scope.MANAGE_WEBHOOKS,
    }
)
# Vehicles, the charging network and workshop bookings, as a driver sees them.
_DRIVING = _BASE | {
    Scope.READ_VEHICLES,
    Scope.WRITE_VEHICLES,
    Scope.READ_STATIONS,
    Scope.READ_CHARGERS,
    Scope.READ_SESSIONS,
    Scope.READ_BOOKINGS,
    Scope.WRITE_BOOKINGS,
    Scope.READ_SERVICES,
    # Tickets: both bundles promise them (the EV-CMS support tickets, one ticket system),
    # with their attachments: the user's own uploads (POST /api/v1/upload).
    Scope.READ_SUPPORT,
    Scope.WRITE_SUPPORT,
    Scope.WRITE_FILES,
}

BUNDLE_SCOPES: dict[Bundle, frozenset[str]] = {
    Bundle.ORGANIZATION_ACCESS: _BASE | {Scope.READ_ORGANIZATION, Scope.WRITE_ORGANIZATION},
    Bundle.FLEET_MANAGER_ACCESS: _DRIVING | {Scope.READ_FLEET, Scope.WRITE_FLEET},
    Bundle.CLIENT_ACCESS: _DRIVING
    | {Scope.WRITE_PROFILE, Scope.READ_NOTIFICATIONS, Scope.READ_CLIENT, Scope.WRITE_CLIENT},
    Bundle.ALL_ACCESS: frozenset(str(scope) for scope in PARTNER_SCOPES),
}

BUNDLE_ROLE_HINTS: dict[Bundle, frozenset[AccountRole]] = {
    Bundle.ORGANIZATION_ACCESS: frozenset({AccountRole.ORGANIZATION_ADMIN}),
    Bundle.FLEET_MANAGER_ACCESS: frozenset({AccountRole.FLEET_MANAGER, AccountRole.DRIVER}),
    Bundle.CLIENT_ACCESS: frozenset({AccountRole.CLIENT}),
    Bundle.ALL_ACCESS: frozenset(AccountRole),
}

BUNDLE_DESCRIPTIONS: dict[Bundle, str] = {
    Bundle.ORGANIZATION_ACCESS: (
        "Organization-wide management endpoints and subordinate account operations."
    ),
    Bundle.FLEET_MANAGER_ACCESS: "Fleet-scoped vehicles, maintenance, drivers, and tickets.",
    Bundle.CLIENT_ACCESS: "Client/driver self-service, tickets, and platform sign-in bridge.",
    Bundle.ALL_ACCESS: ("Union of all capabilities including embed portal and federated sign-in."),
}


def scopes_of(bundles: list[str] | tuple[str, ...]) -> frozenset[str]:
    """The scopes a set of bundles grants (unknown names grant nothing)."""
    granted: set[str] = set()
    for name in bundles:
        if name in Bundle.__members__:
            granted |= BUNDLE_SCOPES[Bundle(name)]
    return frozenset(granted)


def role_hints_of(bundles: list[str] | tuple[str, ...]) -> frozenset[AccountRole]:
    allowed: set[AccountRole] = set()
    for name in bundles:
        if name in Bundle.__members__:
            allowed |= BUNDLE_ROLE_HINTS[Bundle(name)]
    return frozenset(allowed)
