"""A charger that reports ``Faulted`` (the charger itself, or one of its connectors, over
OCPP StatusNotification) gets a corrective maintenance record, once per fault: no second
one while the first is open (scheduled or in progress). Its station owner is told.

It follows the committed ``charging.charger_status`` event, so the OCPP handler's own
transaction stays as short as it was; events about one charger are handled in order, one
at a time (per-resource order of the outbox), so two reports cannot open two records.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging import events
from evcare.charging.chargers.models import ChargerStatus
from evcare.charging.maintenance import repository
from evcare.charging.maintenance.models import (
    MaintenanceRecord,
    MaintenanceStatus,
    MaintenanceType,
    Priority,
)
from evcare.core.clock import utcnow
from evcare.core.events import OutboxEvent, publish, subscribe

FAULT_TOPIC = "charging.maintenance_fault"


def is_fault(payload: dict[str, Any]) -> bool:
    if payload.get("status") == ChargerStatus.MAINTENANCE:
        return False  # faults during the work are the work's business
    connectors = payload.get("connectors") or []
    return payload.get("status") == ChargerStatus.FAULTED or any(
        c.get("status") == "Faulted" for c in connectors
    )


async def open_for_fault(session: AsyncSession, event: OutboxEvent) -> None:
    payload = event.payload
    if not is_fault(payload):
        return
    found = await repository.lock_charger(session, str(payload["chargerId"]))
    if found is None:
        return
    charger_id, name, owner_id = found
    if await repository.open_fault_record(session, charger_id) is not None:
        return
    faulted = [
        str(c.get("connectorId"))
        for c in payload.get("connectors") or []
        if c.get("status") == "Faulted"
    ]
    where = f"connector {', '.join(faulted)}" if faulted else "the charger"
    record = MaintenanceRecord(
        charger_id=charger_id,
        type=MaintenanceType.CORRECTIVE,
        description=f"{name} reported Faulted ({where}) over OCPP",
        status=MaintenanceStatus.SCHEDULED,
        priority=Priority.HIGH,
        scheduled_at=utcnow(),
        parts_replaced=[],
        opened_by_fault=True,
    )
    session.add(record)
    await session.flush()
    await publish(
        session,
        FAULT_TOPIC,
        {
            "user_id": owner_id,
            "category": "maintenance",
            "title": f"Charger {name} faulted",
            "message": f"{name} reported a fault ({where}); corrective maintenance "
            f"record {record.id} is open.",
            "data": {"chargerId": payload["chargerId"], "maintenanceId": str(record.id)},
        },
    )


def register() -> None:
    subscribe(events.CHARGER_STATUS, open_for_fault)
