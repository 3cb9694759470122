"""Room names: who hears what.

A driver joins ``user:<id>`` on authenticate; a brand or franchise also joins
``owner:<id>`` (events of chargers on its stations); an admin joins ``admin``; anyone
allowed to watch a session may join ``session:<key>``.
"""

from __future__ import annotations

from evcare.identity.models import Role
from evcare.identity.principal import Principal

ADMIN = "admin"
OPERATOR_ROLES = frozenset({Role.BRAND, Role.FRANCHISE})


def user(user_id: int | str) -> str:
    return f"user:{user_id}"


def owner(owner_id: int | str) -> str:
    return f"owner:{owner_id}"


def session(session_key: int) -> str:
    return f"session:{session_key}"


def for_principal(principal: Principal) -> list[str]:
    """The rooms a freshly authenticated socket joins."""
    rooms = [user(principal.user_id)]
    if principal.role in OPERATOR_ROLES:
        rooms.append(owner(principal.user_id))
    if principal.is_admin:
        rooms.append(ADMIN)
    return rooms


def for_charger(owner_id: str | int | None) -> list[str]:
    """Operator-side audience of a charger's events: its owner and the admins."""
    return [ADMIN] if owner_id is None else [owner(owner_id), ADMIN]


def for_session(
    *, user_id: str | int | None, owner_id: str | int | None, session_key: int
) -> list[str]:
    """Everyone a session's events reach: its driver, its watchers, its operator, admins."""
    rooms = [session(session_key), *for_charger(owner_id)]
    if user_id is not None:
        rooms.append(user(user_id))
    return rooms
