"""EV-CMS section 10: Maintenance (``/api/v1/maintenance``).

Operators manage the records of their own chargers, admins all (deleting is admins'
only). ``start`` and ``complete`` tell the charger over OCPP (ChangeAvailability); the
rules are in :mod:`evcare.charging.maintenance.service` and docs/maintenance.md.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field, ValidationInfo, field_validator

from evcare.charging.maintenance import service
from evcare.charging.maintenance.models import MaintenanceRecord
from evcare.core.money import Money, major_number
from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.ocpp.registry import registry_of
from evcare.surfaces.cms.schemas import (
    CamelModel,
    Done,
    Envelope,
    PagedEnvelope,
    PaginationOut,
    StrictCamelModel,
)
from evcare.surfaces.deps import Authenticator, RuntimeDep
from evcare.surfaces.ids import ChargerRef, MaintenanceId
from evcare.surfaces.money import Currency, MajorAmount, check_amount, to_minor
from evcare.surfaces.times import UtcDateTime

router = APIRouter(prefix="/maintenance", tags=["maintenance"], route_class=TransactionalRoute)

MaintenanceManage = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_MAINTENANCE))]
MaintenanceDelete = Annotated[Principal, Depends(Authenticator(Scope.DELETE_MAINTENANCE))]

TypeName = Literal["preventive", "corrective", "emergency"]
StatusName = Literal["scheduled", "in-progress", "completed", "cancelled"]
PriorityName = Literal["low", "medium", "high", "critical"]
Notes = Annotated[str, Field(max_length=5000)]


# -- response shapes -------------------------------------------------------------------------


class MaintenanceRecordOut(CamelModel):
    id: str
    charger_id: str
    charger_name: str
    type: TypeName
    description: str
    status: StatusName
    priority: PriorityName
    scheduled_date: datetime
    started_date: datetime | None = None
    completed_date: datetime | None = None
    assigned_to: str | None = None
    notes: str | None = None
    parts_replaced: list[str] | None = None
    cost: float | int | None = Field(default=None, description="Major units of currency")
    currency: str
    created_at: datetime

    @classmethod
    def of(cls, row: MaintenanceRecord) -> MaintenanceRecordOut:
        return cls(
            id=str(row.id),
            charger_id=row.charger.charge_point_id,
            charger_name=row.charger.name,
            type=row.type,
            description=row.description,
            status=row.status,
            priority=row.priority,
            scheduled_date=row.scheduled_at,
            started_date=row.started_at,
            completed_date=row.completed_at,
            assigned_to=row.assigned_to,
            notes=row.notes,
            parts_replaced=row.parts_replaced or None,
            cost=None if row.cost_minor is None else major_number(row.cost_minor, row.currency),
            currency=row.currency,
            created_at=row.created_at,
        )


class RecordBody(CamelModel):
    record: MaintenanceRecordOut


class RecordsBody(CamelModel):
    records: list[MaintenanceRecordOut]


class StatsBody(CamelModel):
    total: int
    pending: int
    in_progress: int
    completed: int
    overdue: int


# -- request shapes --------------------------------------------------------------------------


class RecordIn(StrictCamelModel):
    charger_id: ChargerRef
    type: TypeName
    description: str = Field(min_length=1, max_length=2000)
    scheduled_date: UtcDateTime
    priority: PriorityName = "medium"
    assigned_to: str | None = Field(default=None, min_length=1, max_length=200)


class ScheduleIn(StrictCamelModel):
    charger_ids: list[ChargerRef] = Field(min_length=1, max_length=service.MAX_SCHEDULED_AT_ONCE)
    scheduled_date: UtcDateTime
    type: TypeName
    description: str | None = Field(default=None, min_length=1, max_length=2000)
    priority: PriorityName = "medium"


class RecordUpdateIn(StrictCamelModel):
    status: StatusName | None = None
    notes: Notes | None = None
    completed_date: UtcDateTime | None = None
    assigned_to: str | None = Field(default=None, min_length=1, max_length=200)


class StartIn(StrictCamelModel):
    force: bool = Field(default=False, description="Start although a session is running")


class CompleteIn(StrictCamelModel):
    notes: Notes
    parts_replaced: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        default=None, max_length=100
    )
    currency: Currency = "INR"
    cost: MajorAmount | None = Field(default=None, description="Major units, e.g. 1499.50")

    @field_validator("cost")
    @classmethod
    def _cost_rules(cls, cost: Decimal | None, info: ValidationInfo) -> Decimal | None:
        if cost is None:
            return cost
        return check_amount(cost, str(info.data.get("currency", "INR")), allow_zero=True)

    def money(self) -> Money | None:
        if self.cost is None:
            return None
        return Money(to_minor(self.cost, self.currency), self.currency)


def _record(row: MaintenanceRecord) -> RecordBody:
    return RecordBody(record=MaintenanceRecordOut.of(row))


def _answered(started: service.Started, kind: str) -> str:
    if started.charger_answer is None:
        return f"Charger not connected; it is told nothing ({kind})"
    return f"Charger answered ChangeAvailability {kind}: {started.charger_answer}"


# -- routes ----------------------------------------------------------------------------------


@router.get("", operation_id="cms_list_maintenance")
@router.get("/", include_in_schema=False)
async def list_records(
    principal: MaintenanceManage,
    session: SessionDep,
    pagination: Pagination,
    status: StatusName | None = None,
    charger_id: Annotated[ChargerRef | None, Query(alias="chargerId")] = None,
) -> PagedEnvelope[RecordsBody]:
    page = await service.list_records(
        session, principal, params=pagination, status=status, charger_id=charger_id
    )
    return PagedEnvelope(
        data=RecordsBody(records=[MaintenanceRecordOut.of(r) for r in page.items]),
        pagination=PaginationOut.of(page),  # type: ignore[arg-type]
    )


@router.get("/stats", operation_id="cms_maintenance_stats")
async def maintenance_stats(
    principal: MaintenanceManage, session: SessionDep
) -> Envelope[StatsBody]:
    stats = await service.maintenance_stats(session, principal)
    return Envelope(
        data=StatsBody(
            total=stats.total,
            pending=stats.pending,
            in_progress=stats.in_progress,
            completed=stats.completed,
            overdue=stats.overdue,
        )
    )


@router.post("/schedule", status_code=201, operation_id="cms_schedule_maintenance")
async def schedule_maintenance(
    body: ScheduleIn, principal: MaintenanceManage, session: SessionDep
) -> Envelope[RecordsBody]:
    """One record per charger, all or none."""
    records = await service.schedule_many(
        session,
        principal,
        charger_ids=list(body.charger_ids),
        scheduled_at=body.scheduled_date,
        type=body.type,
        description=body.description,
        priority=body.priority,
    )
    return Envelope(
        message=f"{len(records)} maintenance records scheduled",
        data=RecordsBody(records=[MaintenanceRecordOut.of(r) for r in records]),
    )


@router.post("", status_code=201, operation_id="cms_create_maintenance")
@router.post("/", status_code=201, include_in_schema=False)
async def create_record(
    body: RecordIn, principal: MaintenanceManage, session: SessionDep
) -> Envelope[RecordBody]:
    record = await service.create_record(
        session,
        principal,
        charger_id=body.charger_id,
        type=body.type,
        description=body.description,
        scheduled_at=body.scheduled_date,
        priority=body.priority,
        assigned_to=body.assigned_to,
    )
    return Envelope(message="Maintenance scheduled", data=_record(record))


@router.get("/{record_id}", operation_id="cms_get_maintenance")
async def get_record(
    record_id: MaintenanceId, principal: MaintenanceManage, session: SessionDep
) -> Envelope[RecordBody]:
    return Envelope(data=_record(await service.get_record(session, principal, record_id)))


@router.put("/{record_id}", operation_id="cms_update_maintenance")
async def update_record(
    record_id: MaintenanceId,
    body: RecordUpdateIn,
    principal: MaintenanceManage,
    session: SessionDep,
) -> Envelope[RecordBody]:
    record = await service.update_record(
        session,
        principal,
        record_id,
        status=body.status,
        notes=body.notes,
        completed_at=body.completed_date,
        assigned_to=body.assigned_to,
    )
    return Envelope(message="Maintenance updated", data=_record(record))


@router.delete("/{record_id}", operation_id="cms_delete_maintenance")
async def delete_record(
    record_id: MaintenanceId, principal: MaintenanceDelete, session: SessionDep
) -> Envelope[Done]:
    await service.delete_record(session, principal, record_id)
    return Envelope(message="Maintenance record deleted", data=Done())


@router.put("/{record_id}/start", operation_id="cms_start_maintenance")
async def start_maintenance(
    record_id: MaintenanceId,
    principal: MaintenanceManage,
    session: SessionDep,
    runtime: RuntimeDep,
    body: StartIn | None = None,
) -> Envelope[RecordBody]:
    """The charger goes into Maintenance (ChangeAvailability Inoperative when connected);
    refused while a session runs on it, unless ``force``."""
    started = await service.start(
        session,
        principal,
        registry_of(runtime),
        record_id,
        force=body.force if body else False,
    )
    return Envelope(message=_answered(started, "Inoperative"), data=_record(started.record))


@router.put("/{record_id}/complete", operation_id="cms_complete_maintenance")
async def complete_maintenance(
    record_id: MaintenanceId,
    body: CompleteIn,
    principal: MaintenanceManage,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Envelope[RecordBody]:
    """Done: the charger back in service (ChangeAvailability Operative when connected)."""
    done = await service.complete(
        session,
        principal,
        registry_of(runtime),
        record_id,
        notes=body.notes,
        parts_replaced=body.parts_replaced,
        cost=body.money(),
    )
    return Envelope(message=_answered(done, "Operative"), data=_record(done.record))
