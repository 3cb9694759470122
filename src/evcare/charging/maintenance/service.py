"""Maintenance rules: operators (brands, franchises) manage the records of their own
stations' chargers, admins all; someone else's record or charger is a 404.

- ``start`` (scheduled -> in-progress) puts the charger into ``Maintenance`` and, when it
  is connected, sends OCPP ``ChangeAvailability`` Inoperative through the
  :class:`ChargerCommands` port; it is refused (409) while a session runs on the charger,
  unless ``force``; a charger that rejects the command refuses the start (nothing written).
- ``complete`` (in-progress -> completed) sends ``ChangeAvailability`` Operative and gives
  the charger back (Online when it answered, Offline when not connected), unless another
  record keeps it in maintenance.
- ``schedule`` creates one record per charger in one transaction: all or none.
- A charger reporting ``Faulted`` opens one corrective record (:mod:`.faults`).
- The station owner is told when someone else (an admin) schedules work on its charger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.chargers import commands
from evcare.charging.chargers import service as chargers
from evcare.charging.chargers.models import Charger, ChargerStatus
from evcare.charging.chargers.port import ChargerCommands
from evcare.charging.maintenance import repository
from evcare.charging.maintenance.models import (
    MaintenanceRecord,
    MaintenanceStatus,
    Priority,
)
from evcare.charging.sessions import repository as sessions_repository
from evcare.core.clock import utcnow
from evcare.core.errors import BusinessRuleViolation, Conflict, FieldError, NotFound
from evcare.core.events import publish_many
from evcare.core.ids import key_or_not_found
from evcare.core.money import Money
from evcare.core.pagination import Page, PageParams
from evcare.identity.principal import Principal

S = MaintenanceStatus
MAX_SCHEDULED_AT_ONCE = 100
SCHEDULED_TOPIC = "charging.maintenance_scheduled"
AVAILABILITY_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class MaintenanceStats:
    total: int
    pending: int
    in_progress: int
    completed: int
    overdue: int


@dataclass(frozen=True)
class Started:
    record: MaintenanceRecord
    # What the charger answered ChangeAvailability ("Accepted", "Scheduled"), or None
    # when it is not connected.
    charger_answer: str | None


async def get_record(
    session: AsyncSession, principal: Principal, record_id: int | str
) -> MaintenanceRecord:
    key = key_or_not_found(record_id, what="Maintenance record")
    record = await repository.get_record(session, key, principal=principal)
    if record is None:
        raise NotFound(f"Maintenance record {record_id} not found")
    return record


async def list_records(
    session: AsyncSession,
    principal: Principal,
    *,
    params: PageParams,
    status: str | None = None,
    charger_id: str | None = None,
) -> Page[MaintenanceRecord]:
    charger_key = None
    if charger_id is not None:
        charger_key = (await chargers.get_managed_charger(session, principal, charger_id)).id
    return await repository.list_records(
        session, params, principal=principal, status=status, charger_id=charger_key
    )


async def maintenance_stats(session: AsyncSession, principal: Principal) -> MaintenanceStats:
    """Counts by status; ``overdue``: open (scheduled or in progress) past its date."""
    counts = await repository.counts(session, principal=principal, now=utcnow())
    return MaintenanceStats(
        total=counts.total,
        pending=counts.scheduled,
        in_progress=counts.in_progress,
        completed=counts.completed,
        overdue=counts.overdue,
    )


async def create_record(
    session: AsyncSession,
    principal: Principal,
    *,
    charger_id: str,
    type: str,
    description: str,
    scheduled_at: datetime,
    priority: str = Priority.MEDIUM,
    assigned_to: str | None = None,
) -> MaintenanceRecord:
    """Schedule work on one charger the caller manages."""
    charger = await chargers.get_managed_charger(session, principal, charger_id)
    record = _new(principal, charger, type, description, scheduled_at, priority, assigned_to)
    session.add(record)
    await session.flush()
    await _tell_owners(session, principal, [charger])
    return await get_record(session, principal, record.id)


async def schedule_many(
    session: AsyncSession,
    principal: Principal,
    *,
    charger_ids: list[str],
    scheduled_at: datetime,
    type: str,
    description: str | None = None,
    priority: str = Priority.MEDIUM,
) -> list[MaintenanceRecord]:
    """One record per charger (each one the caller manages), all in this transaction;
    one charger it may not manage and nothing is written."""
    found = [await chargers.get_managed_charger(session, principal, c) for c in charger_ids]
    if len({c.id for c in found}) != len(found):  # by key and by charge point id alike
        raise BusinessRuleViolation(
            "A charger is listed twice", fields=[FieldError("chargerIds", "listed twice")]
        )
    text = description or f"Scheduled {type} maintenance"
    records = [
        _new(principal, charger, type, text, scheduled_at, priority, None) for charger in found
    ]
    session.add_all(records)
    await session.flush()
    await _tell_owners(session, principal, found)
    return [await get_record(session, principal, r.id) for r in records]


def _new(
    principal: Principal,
    charger: Charger,
    type: str,
    description: str,
    scheduled_at: datetime,
    priority: str,
    assigned_to: str | None,
) -> MaintenanceRecord:
    return MaintenanceRecord(
        charger_id=charger.id,
        type=type,
        description=description,
        status=S.SCHEDULED,
        priority=priority,
        scheduled_at=scheduled_at,
        assigned_to=assigned_to,
        parts_replaced=[],
        created_by=principal.user_id,
    )


async def _tell_owners(session: AsyncSession, principal: Principal, found: list[Charger]) -> None:
    """A notice to each station owner whose chargers someone else scheduled work on."""
    by_owner: dict[int, list[Charger]] = {}
    for charger in found:
        if charger.station.owner_id != principal.user_id:
            by_owner.setdefault(charger.station.owner_id, []).append(charger)
    events = []
    for owner_id, theirs in by_owner.items():
        names = ", ".join(c.name for c in theirs[:5]) + (" ..." if len(theirs) > 5 else "")
        events.append(
            (
                SCHEDULED_TOPIC,
                {
                    "user_id": owner_id,
                    "category": "maintenance",
                    "title": "Maintenance scheduled",
                    "message": f"Maintenance was scheduled on {len(theirs)} of your "
                    f"chargers: {names}.",
                    "data": {"chargerIds": [c.charge_point_id for c in theirs]},
                },
            )
        )
    if events:
        await publish_many(session, events)


async def update_record(
    session: AsyncSession,
    principal: Principal,
    record_id: int | str,
    *,
    status: str | None = None,
    notes: str | None = None,
    completed_at: datetime | None = None,
    assigned_to: str | None = None,
) -> MaintenanceRecord:
    """Notes, assignee, cancelling a scheduled record, or correcting a completed one's
    date. Starting and completing go through :func:`start` and :func:`complete`, which
    tell the charger."""
    record = await get_record(session, principal, record_id)
    if status is not None and status != record.status:
        if status != S.CANCELLED:
            raise BusinessRuleViolation(
                f"Use /maintenance/{record.id}/start or /complete to move it to {status}",
                fields=[FieldError("status", "only cancelled can be set here")],
            )
        _require(record, {S.SCHEDULED}, "cancel")
        record.status = S.CANCELLED
    if completed_at is not None:
        _require(record, {S.COMPLETED}, "set completedDate")
        if record.started_at is not None and completed_at < record.started_at:
            raise BusinessRuleViolation(
                "completedDate is before the work started",
                fields=[FieldError("completedDate", "before startedDate")],
            )
        record.completed_at = completed_at
    if notes is not None:
        record.notes = notes
    if assigned_to is not None:
        record.assigned_to = assigned_to
    record.updated_at = utcnow()
    await session.flush()
    return record


async def delete_record(session: AsyncSession, principal: Principal, record_id: int | str) -> None:
    record = await get_record(session, principal, record_id)
    if record.status == S.IN_PROGRESS:
        raise Conflict(
            f"Maintenance record {record.id} is in-progress: complete it first",
            current_status=record.status,
        )
    await session.delete(record)
    await session.flush()


def _require(record: MaintenanceRecord, allowed: set[MaintenanceStatus], action: str) -> None:
    if record.status not in allowed:
        raise Conflict(
            f"Maintenance record {record.id} is {record.status}: cannot {action}",
            current_status=record.status,
        )


async def start(
    session: AsyncSession,
    principal: Principal,
    registry: ChargerCommands,
    record_id: int | str,
    *,
    force: bool = False,
) -> Started:
    """Begin the work: the charger is told Inoperative and marked Maintenance."""
    record = await get_record(session, principal, record_id)
    _require(record, {S.SCHEDULED}, "start")
    charger = record.charger
    running = await sessions_repository.active_on_chargers(session, [charger.id])
    if running and not force:
        raise Conflict(
            f"Charger {charger.charge_point_id} has a charging session running; "
            "stop it first or start with force",
            fields=[FieldError("force", "a session is running")],
        )
    answer = await _change_availability(registry, charger, operative=False)
    now = utcnow()
    record.status = S.IN_PROGRESS
    record.started_at = now
    record.updated_at = now
    charger.status = ChargerStatus.MAINTENANCE
    charger.updated_at = now
    await session.flush()
    return Started(record=record, charger_answer=answer)


async def complete(
    session: AsyncSession,
    principal: Principal,
    registry: ChargerCommands,
    record_id: int | str,
    *,
    notes: str,
    parts_replaced: list[str] | None = None,
    cost: Money | None = None,
) -> Started:
    """Finish the work; the charger goes back into service unless another record of it
    is still in progress."""
    record = await get_record(session, principal, record_id)
    _require(record, {S.IN_PROGRESS}, "complete")
    charger = record.charger
    answer = None
    if not await repository.others_in_progress(session, charger.id, record.id):
        answer = await _change_availability(registry, charger, operative=True)
        charger.status = ChargerStatus.ONLINE if answer else ChargerStatus.OFFLINE
        charger.updated_at = utcnow()
    now = utcnow()
    record.status = S.COMPLETED
    record.completed_at = now
    record.notes = notes
    record.parts_replaced = list(parts_replaced or [])
    if cost is not None:
        record.cost_minor = cost.amount_minor
        record.currency = cost.currency
    record.updated_at = now
    await session.flush()
    return Started(record=record, charger_answer=answer)


async def _change_availability(
    registry: ChargerCommands, charger: Charger, *, operative: bool
) -> str | None:
    """Send ChangeAvailability for the whole charger; its answer, or None when it is not
    connected. A rejection is a 400 (and the caller writes nothing)."""
    version = registry.ocpp_version_of(charger.charge_point_id) or (
        "2.0.1" if (charger.ocpp_protocol or "").endswith("2.0.1") else "1.6"
    )
    kind = "Operative" if operative else "Inoperative"
    params = {"type": kind} if version == "1.6" else {"operationalStatus": kind}
    action, payload = commands.build(version, "ChangeAvailability", None, params)
    try:
        result = await registry.call(
            charger.charge_point_id, action, payload, wait_seconds=AVAILABILITY_WAIT_SECONDS
        )
    except Conflict:  # not connected: it is marked anyway and told nothing
        return None
    status = str(result.get("status", ""))
    if status == "Rejected":
        raise BusinessRuleViolation(
            f"Charger {charger.charge_point_id} rejected ChangeAvailability {kind}"
        )
    return status or None


async def history(
    session: AsyncSession, principal: Principal, charger_id: str
) -> list[MaintenanceRecord]:
    """Maintenance records of a charger the caller may see."""
    charger = await chargers.get_charger(session, principal, charger_id)
    return list(await repository.history_of(session, charger.id))
