"""Stations, chargers and connectors for tests, written straight to the database."""

from __future__ import annotations

import itertools
from datetime import datetime

from evcare.charging.chargers.models import Charger, ChargerStatus
from evcare.charging.stations.models import Connector, Station
from evcare.core.runtime import Runtime
from evcare.core.security import hash_generated_secret
from evcare.identity.models import User

CHARGER_PASSWORD = "charger-password-1"
_counter = itertools.count(1)


async def make_station(
    runtime: Runtime,
    owner: User,
    *,
    name: str | None = None,
    latitude: float = 12.9716,
    longitude: float = 77.5946,
    status: str = "active",
    city: str = "Bengaluru",
    connectors: list[tuple[str, float, int]] | None = None,
    deleted_at: datetime | None = None,
    verified: bool = True,
) -> Station:
    """A station of ``owner`` (verified by an admin unless ``verified`` is False);
    ``connectors`` as (type, kW, base price minor) tuples, station-only (no charger)."""
    n = next(_counter)
    async with runtime.sessionmaker() as session:
        station = Station(
            owner_id=owner.id,
            owner_type=owner.role,
            name=name or f"Station {n}",
            address=f"{n} MG Road",
            city=city,
            state="Karnataka",
            pincode="560001",
            latitude=latitude,
            longitude=longitude,
            status=status,
            amenities=["wifi"],
            deleted_at=deleted_at,
            is_verified=verified,
        )
        station.connectors = [
            Connector(
                connector_id=str(i + 1),
                type=kind,
                power_kw=power,
                base_price_minor=price,
                parking_fee_minor=0,
                reservation_fee_minor=0,
            )
            for i, (kind, power, price) in enumerate(connectors or [])
        ]
        session.add(station)
        await session.commit()
        return station


async def make_charger(
    runtime: Runtime,
    station: Station,
    *,
    charge_point_id: str | None = None,
    status: str = ChargerStatus.OFFLINE,
    manufacturer: str = "ABB",
    connectors: int = 1,
    connector_status: str = "Available",
    archived_at: datetime | None = None,
    password: str = CHARGER_PASSWORD,
) -> Charger:
    """A charger at ``station`` with ``connectors`` CCS 60 kW connectors numbered 1..N."""
    n = next(_counter)
    async with runtime.sessionmaker() as session:
        charger = Charger(
            charge_point_id=charge_point_id or f"CP-{n:05d}",
            name=f"Charger {n}",
            station_id=station.id,
            manufacturer=manufacturer,
            model="Terra 54",
            status=status,
            password_hash=hash_generated_secret(password),
            archived_at=archived_at,
        )
        session.add(charger)
        await session.flush()
        for number in range(1, connectors + 1):
            session.add(
                Connector(
                    station_id=station.id,
                    charger_id=charger.id,
                    connector_id=f"{charger.id}-{number}",
                    connector_number=number,
                    type="CCS",
                    power_kw=60,
                    status=connector_status,
                    base_price_minor=1850,
                )
            )
        await session.commit()
        return charger
