"""Room names: who hears what.

A driver joins ``user:<id>`` on authenticate; a brand also joins ``owner:<id>`` (events
of chargers and sessions on its stations, handed-over ones included); franchise staff
join ``franchise:<id>`` of the active franchise they work for (events of the stations
handed to it, and nothing else of the brand); an admin joins ``admin``; anyone allowed to
watch a session may join ``session:<key>``.
"""

from __future__ import annotations

from evcare.identity.models import Role
from evcare.identity.principal import Principal

ADMIN = "admin"


def user(user_id: int | str) -> str:
    return f"user:{user_id}"


def owner(owner_id: int | str) -> str:
    return f"owner:{owner_id}"


def franchise(franchise_id: int | str) -> str:
    return f"franchise:{franchise_id}"


def session(session_key: int) -> str:
    return f"session:{session_key}"


def for_principal(principal: Principal, *, franchise_id: int | None = None) -> list[str]:
    """The rooms a freshly authenticated socket joins; ``franchise_id``: the active
    franchise a staff member works for."""
    rooms = [user(principal.user_id)]
    if principal.role == Role.BRAND:
        rooms.append(owner(principal.user_id))
    if principal.role == Role.FRANCHISE and franchise_id is not None:
        rooms.append(franchise(franchise_id))
    if principal.is_admin:
        rooms.append(ADMIN)
    return rooms


def for_charger(owner_id: str | int | None, franchise_id: str | int | None = None) -> list[str]:
    """Operator-side audience of a charger's events: its owner, the franchise its station
    is handed to (if any), and the admins."""
    rooms = [ADMIN] if owner_id is None else [owner(owner_id), ADMIN]
    if franchise_id is not None:
        rooms.append(franchise(franchise_id))
    return rooms


def for_session(
    *,
    user_id: str | int | None,
    owner_id: str | int | None,
    session_key: int,
    franchise_id: str | int | None = None,
) -> list[str]:
    """Everyone a session's events reach: its driver, its watchers, its operators, admins."""
    rooms = [session(session_key), *for_charger(owner_id, franchise_id)]
    if user_id is not None:
        rooms.append(user(user_id))
    return rooms
