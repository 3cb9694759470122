"""A small network whose figures are computed by hand (docs/analytics.md's example).

The clock stands at ``NOW`` = Wednesday 2026-11-18 06:30 UTC (12:00 in Asia/Kolkata,
+05:30). Brand A owns station A (charger A, two connectors), brand B station B (charger
B, one connector). Sessions, all INR:

| # | charger | driver | started (UTC)    | ended (UTC)      | status    | cost    | Wh     |
|---|---------|--------|------------------|------------------|-----------|---------|--------|
| 1 | A       | one    | 11-17 17:30      | 11-17 18:00      | completed | 100.00  | 10 000 |
| 2 | A       | one    | 11-17 18:00      | 11-17 19:00      | completed | 200.00  | 5 000  |
| 3 | B       | two    | 11-18 02:00      | 11-18 03:00      | completed | 400.00  | 20 000 |
| 4 | A       | one    | 11-18 04:00      | 11-18 04:10      | failed    | -       | -      |
| 5 | A       | three  | 11-18 06:00      | -                | active    | -       | -      |

Session 2 ends on 17 November in UTC but on 18 November (00:30) in Kolkata. Booking
fees at station A: 50.00 kept (booked 11-18 05:00 UTC), 30.00 refunded (not revenue).

Connector status history: charger A connector 1 Available 00:00, Charging 01:00,
Available 03:00, Unavailable 04:00, Available 05:00 (UTC, 18 Nov); charger B's connector
Available since 11-17 10:00, Charging from 11-18 06:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from evcare.charging.bookings.models import BookingStatus, ConnectorBooking
from evcare.charging.chargers.models import Charger, ConnectorStatusChange
from evcare.charging.sessions.models import ChargingSession
from evcare.charging.stations.models import Connector, Station
from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User
from tests.factories.charging import make_charger, make_station
from tests.factories.identity import make_user

NOW = datetime(2026, 11, 18, 6, 30, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@dataclass
class Network:
    brand_a: User
    brand_b: User
    drivers: list[User]
    station_a: Station
    station_b: Station
    charger_a: Charger
    charger_b: Charger


async def _connector(runtime: Runtime, charger: Charger, number: int) -> Connector:
    async with runtime.sessionmaker() as session:
        from sqlalchemy import select

        found = await session.scalar(
            select(Connector).where(
                Connector.charger_id == charger.id, Connector.connector_number == number
            )
        )
        assert found is not None
        return found


async def build_network(runtime: Runtime) -> Network:
    brand_a = await make_user(runtime, role=Role.BRAND, first_name="Brand", last_name="A")
    brand_b = await make_user(runtime, role=Role.BRAND, first_name="Brand", last_name="B")
    drivers = [
        await make_user(runtime, first_name=name, last_name="Driver")
        for name in ("One", "Two", "Three")
    ]
    station_a = await make_station(runtime, brand_a, name="Station A")
    station_b = await make_station(runtime, brand_b, name="Station B")
    charger_a = await make_charger(
        runtime, station_a, connectors=2, status="Online", connector_status="Charging"
    )
    charger_b = await make_charger(runtime, station_b, connectors=1, status="Faulted")
    one, two, three = drivers
    sessions = [
        (charger_a, one, at(17, 17, 30), at(17, 18), "completed", 10_000, 10_000),
        (charger_a, one, at(17, 18), at(17, 19), "completed", 20_000, 5_000),
        (charger_b, two, at(18, 2), at(18, 3), "completed", 40_000, 20_000),
        (charger_a, one, at(18, 4), at(18, 4, 10), "failed", None, None),
        (charger_a, three, at(18, 6), None, "active", None, None),
    ]
    connector_a = await _connector(runtime, charger_a, 1)
    connector_b = await _connector(runtime, charger_b, 1)
    async with runtime.sessionmaker() as session:
        for number, (charger, driver, started, ended, status, cost, wh) in enumerate(sessions):
            session.add(
                ChargingSession(
                    charger_id=charger.id,
                    connector_id=1 + number % 2 if status != "active" else 2,
                    user_id=driver.id,
                    ocpp_version="1.6",
                    transaction_id=str(number + 1),
                    id_tag="TAG",
                    status=status,
                    started_at=started,
                    ended_at=ended,
                    energy_wh=wh,
                    cost_minor=cost,
                    currency="INR",
                )
            )
        for fee, refunded, created in ((5_000, False, at(18, 5)), (3_000, True, at(18, 5, 30))):
            session.add(
                ConnectorBooking(
                    user_id=two.id,
                    station_id=station_a.id,
                    connector_id=connector_a.id,
                    status=BookingStatus.CANCELLED,
                    scheduled_at=at(18, 9),
                    ends_at=at(18, 10),
                    estimated_minutes=60,
                    reservation_fee_minor=fee,
                    fee_refunded=refunded,
                    created_at=created,
                )
            )
        history = [
            (connector_a, "Available", at(18, 0)),
            (connector_a, "Charging", at(18, 1)),
            (connector_a, "Available", at(18, 3)),
            (connector_a, "Unavailable", at(18, 4)),
            (connector_a, "Available", at(18, 5)),
            (connector_b, "Available", at(17, 10)),
            (connector_b, "Charging", at(18, 6)),
        ]
        for connector, status, moment in history:
            assert connector.charger_id is not None
            session.add(
                ConnectorStatusChange(
                    connector_id=connector.id,
                    charger_id=connector.charger_id,
                    status=status,
                    at=moment,
                )
            )
        await session.commit()
    return Network(brand_a, brand_b, drivers, station_a, station_b, charger_a, charger_b)
