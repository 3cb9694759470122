"""The fleet's topics: committed changes the webhook fan-out turns into ``vehicle.*``,
``driver.*`` and ``vehicle.maintenance_due`` events for the organization's endpoints."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.events import publish

VEHICLE_TOPICS = {change: f"fleet.vehicle_{change}" for change in ("created", "updated", "deleted")}
DRIVER_TOPICS = {change: f"fleet.driver_{change}" for change in ("created", "updated", "deleted")}
MAINTENANCE_DUE = "fleet.vehicle_maintenance_due"
# One per fleet manager: the in-app (and email/SMS, by preference) notice of a due point.
MAINTENANCE_DUE_NOTICE = "fleet.maintenance_due_notice"


async def announce(
    session: AsyncSession,
    topic: str,
    *,
    organization_id: str,
    resource_id: str,
    resource: dict[str, Any],
) -> None:
    """Publish a fleet change in the caller's transaction (sent once it commits)."""
    await publish(
        session,
        topic,
        {"organizationId": organization_id, "id": resource_id, "resource": resource},
    )
