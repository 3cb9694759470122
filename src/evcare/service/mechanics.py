"""Mechanics: ``mechanic`` users plus their workshop profile, and assignment types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import BusinessRuleViolation, Conflict, FieldError
from evcare.core.pagination import PageParams
from evcare.core.security import Credentials
from evcare.identity import service as identity
from evcare.identity.models import Role, User
from evcare.identity.principal import Principal
from evcare.service import repository, workshops
from evcare.service.models import MechanicAssignmentType, MechanicProfile


@dataclass(frozen=True)
class Mechanic:
    user: User
    profile: MechanicProfile


@dataclass(frozen=True)
class ProfileChanges:
    skills: list[str] | None = None
    experience_years: int | None = None
    is_available: bool | None = None
    assignment_type_id: int | None = None
    clear_assignment_type: bool = False


async def create_mechanic(
    session: AsyncSession,
    credentials: Credentials,
    principal: Principal,
    *,
    person: dict[str, Any],
    skills: list[str],
    experience_years: int,
    is_available: bool,
    assignment_type_id: int | None,
) -> Mechanic:
    """An admin creates the mechanic's account and workshop profile together."""
    await _existing_assignment_type(session, assignment_type_id)
    user = await identity.create_user(session, credentials, principal, role=Role.MECHANIC, **person)
    profile = MechanicProfile(
        user_id=user.id,
        # RevCare's mechanics work for the default workshop (evcare.service.workshops).
        workshop_id=await workshops.default_workshop_id(session),
        skills=_distinct(skills),
        experience_years=experience_years,
        is_available=is_available,
        assignment_type_id=assignment_type_id,
    )
    session.add(profile)
    await session.flush()
    return Mechanic(user, profile)


async def list_mechanics(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    mechanic_id: int | None = None,
    search: str | None = None,
) -> list[Mechanic]:
    """Admins list every mechanic; a mechanic sees only themselves."""
    if principal.is_admin:
        page = await identity.list_people(
            session, principal, params, role=Role.MECHANIC, user_id=mechanic_id, search=search
        )
        users = page.items
    elif mechanic_id in (None, principal.user_id):
        users = [
            await identity.get_person(
                session, principal, role=Role.MECHANIC, user_id=principal.user_id
            )
        ]
    else:
        users = []
    return await _with_profiles(session, users)


async def get_mechanic(
    session: AsyncSession, principal: Principal, *, mechanic_id: int
) -> Mechanic:
    user = await identity.get_person(session, principal, role=Role.MECHANIC, user_id=mechanic_id)
    (mechanic,) = await _with_profiles(session, [user])
    return mechanic


async def update_mechanic(
    session: AsyncSession,
    credentials: Credentials,
    principal: Principal,
    *,
    mechanic_id: int,
    person: dict[str, Any],
    changes: ProfileChanges,
) -> Mechanic:
    mechanic = await get_mechanic(session, principal, mechanic_id=mechanic_id)
    await identity.update_person(
        session, credentials, principal, role=Role.MECHANIC, user_id=mechanic_id, **person
    )
    profile = mechanic.profile
    if profile.workshop_id == workshops.DEFAULT_WORKSHOP_ID:
        await workshops.default_workshop_id(session)  # a first stored profile needs it
    session.add(profile)
    if changes.assignment_type_id is not None:
        await _existing_assignment_type(session, changes.assignment_type_id)
        profile.assignment_type_id = changes.assignment_type_id
    elif changes.clear_assignment_type:
        profile.assignment_type_id = None
    if changes.skills is not None:
        profile.skills = _distinct(changes.skills)
    if changes.experience_years is not None:
        profile.experience_years = changes.experience_years
    if changes.is_available is not None:
        profile.is_available = changes.is_available
    profile.updated_at = utcnow()
    await session.flush()
    return mechanic


async def delete_mechanic(session: AsyncSession, principal: Principal, *, mechanic_id: int) -> None:
    """Soft delete of the account (restorable); the profile stays for booking history."""
    await identity.delete_person(session, principal, role=Role.MECHANIC, user_id=mechanic_id)


async def mechanic_profile(session: AsyncSession, *, mechanic_id: int) -> MechanicProfile | None:
    """The profile of a mechanic, for bookings that assign work (no access check)."""
    return await session.get(MechanicProfile, mechanic_id)


# -- assignment types ----------------------------------------------------------------------


async def list_assignment_types(session: AsyncSession) -> list[MechanicAssignmentType]:
    return await repository.list_assignment_types(session)


async def get_assignment_type(session: AsyncSession, *, type_id: int) -> MechanicAssignmentType:
    return await repository.load(session, MechanicAssignmentType, type_id, what="Assignment type")


async def create_assignment_type(
    session: AsyncSession, principal: Principal, *, name: str, description: str
) -> MechanicAssignmentType:
    if await repository.assignment_type_name_taken(session, name):
        raise Conflict(f"An assignment type named '{name}' already exists")
    created = MechanicAssignmentType(name=name, description=description)
    session.add(created)
    await session.flush()
    return created


async def update_assignment_type(
    session: AsyncSession,
    principal: Principal,
    *,
    type_id: int,
    name: str | None = None,
    description: str | None = None,
) -> MechanicAssignmentType:
    found = await get_assignment_type(session, type_id=type_id)
    if name is not None and name != found.name:
        if await repository.assignment_type_name_taken(session, name, except_id=found.id):
            raise Conflict(f"An assignment type named '{name}' already exists")
        found.name = name
    if description is not None:
        found.description = description
    found.updated_at = utcnow()
    await session.flush()
    return found


async def delete_assignment_type(
    session: AsyncSession, principal: Principal, *, type_id: int
) -> None:
    """Mechanics of a deleted type keep working, with no type."""
    await session.delete(await get_assignment_type(session, type_id=type_id))
    await session.flush()


# -- internals -----------------------------------------------------------------------------


async def _with_profiles(session: AsyncSession, users: list[User]) -> list[Mechanic]:
    """Pair users with their profiles. A mechanic made elsewhere (EV-CMS user admin) has
    none yet: they get a default one, stored on their first update, not on a read."""
    profiles = await repository.mechanic_profiles(session, [user.id for user in users])
    return [
        Mechanic(
            user,
            profiles.get(user.id)
            or MechanicProfile(
                user_id=user.id,
                workshop_id=workshops.DEFAULT_WORKSHOP_ID,
                skills=[],
                experience_years=0,
                is_available=True,
            ),
        )
        for user in users
    ]


async def _existing_assignment_type(session: AsyncSession, type_id: int | None) -> None:
    if type_id is not None and await session.get(MechanicAssignmentType, type_id) is None:
        raise BusinessRuleViolation(
            f"Assignment type {type_id} does not exist",
            fields=[FieldError("assignment_type_id", "unknown assignment type")],
        )


def _distinct(skills: list[str]) -> list[str]:
    return list(dict.fromkeys(skill.strip() for skill in skills if skill.strip()))
