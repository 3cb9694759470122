"""What the platform knows of a fleet vehicle's distance and energy.

The odometer is the newest reading the fleet gave (on create or update). Charging
energy is what the chargers measured (closed EV-CMS sessions of the vehicle). When the
charging that ended after the newest reading adds distance the fleet has not reported,
the estimate adds ``KM_PER_KWH`` km per kWh charged since that reading (the same
~6.5 km/kWh the EV-CMS CO2 figure uses; docs/developer-hub/fleet.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.sessions import control as sessions
from evcare.fleet import repository

KM_PER_KWH = Decimal("6.5")


@dataclass(frozen=True)
class Odometer:
    reading_km: int | None  # the newest reading; None: never reported
    recorded_at: datetime | None
    estimated_km: int  # reading + km estimated from the energy charged after it
    sessions: int  # closed charging sessions of the vehicle
    energy_wh: int  # the energy they delivered


def estimate_km(reading_km: int | None, energy_wh_since: int) -> int:
    """The reading plus ``KM_PER_KWH`` per kWh charged since it (rounded down)."""
    return (reading_km or 0) + int(Decimal(energy_wh_since) / 1000 * KM_PER_KWH)


async def odometers(session: AsyncSession, vehicle_ids: list[int]) -> dict[int, Odometer]:
    """The odometer and energy facts of each vehicle (two aggregate queries)."""
    readings = await repository.latest_readings(session, vehicle_ids)
    energy = await sessions.energy_of_vehicles(session, vehicle_ids)
    found: dict[int, Odometer] = {}
    for vehicle_id in vehicle_ids:
        reading = readings.get(vehicle_id)
        count, total_wh, since_wh = energy.get(vehicle_id, (0, 0, 0))
        km = None if reading is None else reading.km
        found[vehicle_id] = Odometer(
            reading_km=km,
            recorded_at=None if reading is None else reading.recorded_at,
            estimated_km=estimate_km(km, since_wh),
            sessions=count,
            energy_wh=total_wh,
        )
    return found
