"""Connector bookings for tests: a funded driver with a vehicle, a charger's connectors to
book, and the request body of a booking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from evcare.charging.chargers.models import Charger
from evcare.core.runtime import Runtime
from evcare.identity.models import User
from evcare.vehicles.models import Vehicle
from tests.factories.identity import bearer, login, make_user
from tests.factories.ocpp import iso, make_charger
from tests.factories.vehicles import make_vehicle
from tests.factories.wallet import fund

BOOKINGS = "/api/v1/bookings"


@dataclass
class Driver:
    user: User
    headers: dict[str, str]
    vehicle: Vehicle
    token: str


async def driver(runtime: Runtime, client: httpx.AsyncClient, *, funds: int = 100_000) -> Driver:
    """A driver with ``funds`` paise in the wallet and one vehicle."""
    user = await make_user(runtime)
    if funds:
        await fund(runtime, user, funds)
    token = await login(client, user)
    return Driver(user, bearer(token), await make_vehicle(runtime, user), token)


async def bookable_charger(runtime: Runtime, **options: Any) -> Charger:
    return await make_charger(runtime, **options)


def connector_ref(charger: Charger, number: int = 1) -> str:
    return f"{charger.id}-{number}"


def booking_body(
    charger: Charger, vehicle: Vehicle, *, at: datetime, minutes: int = 60, number: int = 1
) -> dict[str, Any]:
    return {
        "stationId": charger.station_id,
        "connectorId": connector_ref(charger, number),
        "vehicleId": str(vehicle.id),
        "scheduledTime": iso(at),
        "estimatedDuration": minutes,
    }


async def book(
    client: httpx.AsyncClient, who: Driver, charger: Charger, *, at: datetime, minutes: int = 60
) -> dict[str, Any]:
    response = await client.post(
        BOOKINGS,
        json=booking_body(charger, who.vehicle, at=at, minutes=minutes),
        headers=who.headers,
    )
    assert response.status_code == 201, response.text
    booking: dict[str, Any] = response.json()["data"]["booking"]
    return booking
