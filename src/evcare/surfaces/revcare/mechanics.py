"""RevCare mechanics: ``/mechanics/`` (admins write; ``MEC000034``-style ids) and
``/mechanics/assignment_type`` CRUD (declared before ``/mechanics/{id}``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.service import mechanics
from evcare.service.models import MechanicAssignmentType
from evcare.surfaces.deps import Authenticator, CredentialsDep
from evcare.surfaces.ids import AssignmentTypeId, MechanicId
from evcare.surfaces.revcare.people import PersonCreate, PersonOut, PersonUpdate
from evcare.surfaces.revcare.schemas import Message, RevIn, RevModel

router = APIRouter(prefix="/mechanics", tags=["mechanics"], route_class=TransactionalRoute)

MechanicsRead = Annotated[Principal, Depends(Authenticator(Scope.READ_MECHANICS))]
MechanicsWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_MECHANICS))]

_PERSON_FIELDS = {"first_name", "last_name", "email", "phone", "password"}
Skills = Annotated[list[Annotated[str, Field(min_length=1, max_length=50)]], Field(max_length=30)]
Years = Annotated[int, Field(ge=0, le=60)]
JobsPerSlot = Annotated[
    int, Field(ge=1, le=20, description="bookings of one timeslot the mechanic can take")
]


class MechanicCreate(PersonCreate):
    skills: Skills = []
    experience_years: Years = 0
    is_available: bool = True
    assignment_type_id: AssignmentTypeId | None = None
    jobs_per_slot: JobsPerSlot = 1


class MechanicUpdate(PersonUpdate):
    skills: Skills | None = None
    experience_years: Years | None = None
    is_available: bool | None = None
    assignment_type_id: AssignmentTypeId | None = Field(default=None, description="null clears it")
    jobs_per_slot: JobsPerSlot | None = None


class MechanicOut(PersonOut):
    skills: list[str]
    experience_years: int
    is_available: bool
    assignment_type_id: int | None
    jobs_per_slot: int

    @classmethod
    def of_mechanic(cls, mechanic: mechanics.Mechanic) -> MechanicOut:
        profile = mechanic.profile
        return cls(
            **PersonOut.of(mechanic.user).model_dump(),
            skills=list(profile.skills or []),
            experience_years=profile.experience_years or 0,
            is_available=profile.is_available is not False,
            assignment_type_id=profile.assignment_type_id,
            jobs_per_slot=profile.jobs_per_slot or 1,
        )


class AssignmentTypeIn(RevIn):
    name: str = Field(min_length=1, max_length=60)
    description: str = Field(default="", max_length=300)


class AssignmentTypeUpdate(RevIn):
    name: str | None = Field(default=None, min_length=1, max_length=60)
    description: str | None = Field(default=None, max_length=300)


class AssignmentTypeOut(RevModel):
    id: int
    name: str
    description: str

    @classmethod
    def of(cls, found: MechanicAssignmentType) -> AssignmentTypeOut:
        return cls.model_validate(found)


# -- assignment types ----------------------------------------------------------------------


@router.get("/assignment_type", operation_id="revcare_list_assignment_types")
async def list_assignment_types(
    principal: MechanicsRead, session: SessionDep
) -> list[AssignmentTypeOut]:
    return [AssignmentTypeOut.of(t) for t in await mechanics.list_assignment_types(session)]


@router.get("/assignment_type/{type_id}", operation_id="revcare_get_assignment_type")
async def get_assignment_type(
    type_id: AssignmentTypeId, principal: MechanicsRead, session: SessionDep
) -> AssignmentTypeOut:
    return AssignmentTypeOut.of(await mechanics.get_assignment_type(session, type_id=type_id))


@router.post("/assignment_type", status_code=201, operation_id="revcare_create_assignment_type")
async def create_assignment_type(
    body: AssignmentTypeIn, principal: MechanicsWrite, session: SessionDep
) -> AssignmentTypeOut:
    created = await mechanics.create_assignment_type(session, principal, **body.model_dump())
    return AssignmentTypeOut.of(created)


@router.put("/assignment_type/{type_id}", operation_id="revcare_update_assignment_type")
async def update_assignment_type(
    type_id: AssignmentTypeId,
    body: AssignmentTypeUpdate,
    principal: MechanicsWrite,
    session: SessionDep,
) -> AssignmentTypeOut:
    updated = await mechanics.update_assignment_type(
        session, principal, type_id=type_id, **body.model_dump(exclude_none=True)
    )
    return AssignmentTypeOut.of(updated)


@router.delete("/assignment_type/{type_id}", operation_id="revcare_delete_assignment_type")
async def delete_assignment_type(
    type_id: AssignmentTypeId, principal: MechanicsWrite, session: SessionDep
) -> Message:
    await mechanics.delete_assignment_type(session, principal, type_id=type_id)
    return Message(message="Assignment type deleted")


# -- mechanics -----------------------------------------------------------------------------


@router.post("/", status_code=201, operation_id="revcare_create_mechanic")
async def create_mechanic(
    body: MechanicCreate,
    principal: MechanicsWrite,
    session: SessionDep,
    credentials: CredentialsDep,
) -> MechanicOut:
    mechanic = await mechanics.create_mechanic(
        session,
        credentials,
        principal,
        person=body.model_dump(include=_PERSON_FIELDS, mode="json"),
        skills=body.skills,
        experience_years=body.experience_years,
        is_available=body.is_available,
        assignment_type_id=body.assignment_type_id,
        jobs_per_slot=body.jobs_per_slot,
    )
    return MechanicOut.of_mechanic(mechanic)


@router.get("/", operation_id="revcare_list_mechanics")
async def list_mechanics(
    principal: MechanicsRead,
    session: SessionDep,
    page: Pagination,
    mechanic_id: MechanicId | None = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
) -> list[MechanicOut]:
    found = await mechanics.list_mechanics(
        session,
        principal,
        page,
        mechanic_id=mechanic_id,
        search=search,
    )
    return [MechanicOut.of_mechanic(mechanic) for mechanic in found]


@router.get("/{mechanic_id}", operation_id="revcare_get_mechanic")
async def get_mechanic(
    mechanic_id: MechanicId, principal: MechanicsRead, session: SessionDep
) -> MechanicOut:
    mechanic = await mechanics.get_mechanic(session, principal, mechanic_id=mechanic_id)
    return MechanicOut.of_mechanic(mechanic)


@router.put("/{mechanic_id}", operation_id="revcare_update_mechanic")
async def update_mechanic(
    mechanic_id: MechanicId,
    body: MechanicUpdate,
    principal: MechanicsWrite,
    session: SessionDep,
    credentials: CredentialsDep,
) -> MechanicOut:
    sent = body.model_fields_set
    mechanic = await mechanics.update_mechanic(
        session,
        credentials,
        principal,
        mechanic_id=mechanic_id,
        person=body.model_dump(include=_PERSON_FIELDS, exclude_none=True, mode="json"),
        changes=mechanics.ProfileChanges(
            skills=body.skills,
            experience_years=body.experience_years,
            is_available=body.is_available,
            assignment_type_id=body.assignment_type_id,
            clear_assignment_type="assignment_type_id" in sent and body.assignment_type_id is None,
            jobs_per_slot=body.jobs_per_slot,
        ),
    )
    return MechanicOut.of_mechanic(mechanic)


@router.delete("/{mechanic_id}", operation_id="revcare_delete_mechanic")
async def delete_mechanic(
    mechanic_id: MechanicId, principal: MechanicsWrite, session: SessionDep
) -> Message:
    await mechanics.delete_mechanic(session, principal, mechanic_id=mechanic_id)
    return Message(message="Mechanic deleted")
