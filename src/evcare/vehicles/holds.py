"""What keeps a vehicle from being deleted, answered by the contexts that hold it.

Vehicles cannot import those contexts (they depend on vehicles), so each registers a
check once, at import: it raises ``core.errors.Conflict`` naming what holds the vehicle
(a workshop booking still open, for one).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

VehicleHold = Callable[[AsyncSession, int], Awaitable[None]]
_holds: list[VehicleHold] = []


def on_vehicle_deleting(check: VehicleHold) -> None:
    if check not in _holds:
        _holds.append(check)


async def check_deletable(session: AsyncSession, vehicle_id: int) -> None:
    """Raise the first hold's Conflict; return when nothing holds the vehicle."""
    for check in _holds:
        await check(session, vehicle_id)
