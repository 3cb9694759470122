"""OCPP 1.6J end to end: a real charge point over a real WebSocket against the live server."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from ocpp.v16 import call
from sqlalchemy import func, select

from evcare.charging import events
from evcare.charging.chargers.models import Charger
from evcare.charging.sessions.models import ChargingSession, MeterValue
from evcare.charging.stations.models import Connector
from evcare.core.events import OutboxEvent
from evcare.core.runtime import Runtime
from tests.factories.ocpp import connect, iso, make_charger, make_driver, make_id_tag, make_session


async def test_boot_authorize_start_meter_stop_makes_a_billed_session(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime, base_price_minor=1850)
    driver = await make_driver(runtime)
    tag = await make_id_tag(runtime, driver)
    start = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    async with connect(live_server, charger.charge_point_id) as cp:
        boot = await cp.call(
            call.BootNotification(
                charge_point_model="Terra", charge_point_vendor="ABB", firmware_version="1.2.3"
            )
        )
        assert boot.status == "Accepted"
        await cp.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing")
        )
        auth = await cp.call(call.Authorize(id_tag=tag))
        assert auth.id_tag_info["status"] == "Accepted"
        started = await cp.call(
            call.StartTransaction(
                connector_id=1, id_tag=tag, meter_start=10_000, timestamp=iso(start)
            )
        )
        assert started.id_tag_info["status"] == "Accepted"
        await cp.call(
            call.MeterValues(
                connector_id=1,
                transaction_id=started.transaction_id,
                meter_value=[
                    {
                        "timestamp": iso(start + timedelta(minutes=10)),
                        "sampled_value": [
                            {
                                "value": "13000",
                                "measurand": "Energy.Active.Import.Register",
                                "unit": "Wh",
                            },
                            {"value": "22.5", "measurand": "Power.Active.Import", "unit": "kW"},
                        ],
                    }
                ],
            )
        )
        await cp.call(
            call.StopTransaction(
                meter_stop=22_500,
                timestamp=iso(start + timedelta(minutes=45)),
                transaction_id=started.transaction_id,
                reason="Local",
            )
        )
    async with runtime.sessionmaker() as session:
        row = (await session.scalars(select(ChargingSession))).one()
        assert row.user_id == driver.id
        assert row.started_at == start and row.ended_at == start + timedelta(minutes=45)
        assert row.energy_wh == 12_500
        assert row.cost_minor == 23_125  # 12.5 kWh x 18.50
        assert row.status == "completed"
        readings = (await session.scalars(select(MeterValue))).all()
        assert [(r.energy_wh, r.power_w) for r in readings] == [(13_000, 22_500)]
        saved = (await session.scalars(select(Charger).where(Charger.id == charger.id))).one()
        assert saved.firmware_version == "1.2.3"
        connector = (
            await session.scalars(
                select(Connector).where(
                    Connector.charger_id == charger.id, Connector.connector_number == 1
                )
            )
        ).one()
        assert connector.status == "Preparing"


async def _start(cp: object, tag: str, at: datetime, meter: int = 1000) -> int:
    started = await cp.call(  # type: ignore[attr-defined]
        call.StartTransaction(connector_id=1, id_tag=tag, meter_start=meter, timestamp=iso(at))
    )
    transaction_id: int = started.transaction_id
    return transaction_id


async def test_a_repeated_stop_transaction_bills_once(live_server: str, runtime: Runtime) -> None:
    charger = await make_charger(runtime, base_price_minor=1000)
    driver = await make_driver(runtime)
    tag = await make_id_tag(runtime, driver)
    at = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    async with connect(live_server, charger.charge_point_id) as cp:
        transaction = await _start(cp, tag, at)
        stop = call.StopTransaction(
            meter_stop=6000, timestamp=iso(at + timedelta(minutes=30)), transaction_id=transaction
        )
        await cp.call(stop)
        await cp.call(stop)
        late = call.StopTransaction(
            meter_stop=9000, timestamp=iso(at + timedelta(hours=2)), transaction_id=transaction
        )
        await cp.call(late)
    async with runtime.sessionmaker() as session:
        row = (await session.scalars(select(ChargingSession))).one()
        stopped = await session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.topic == events.SESSION_STOPPED)
        )
    assert (row.energy_wh, row.cost_minor) == (5000, 5000)
    assert row.ended_at == at + timedelta(minutes=30)
    assert stopped == 1


async def test_a_replayed_start_transaction_gets_the_same_transaction_id(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime)
    tag = await make_id_tag(runtime, await make_driver(runtime))
    at = datetime(2026, 5, 2, 9, 0, tzinfo=UTC)
    async with connect(live_server, charger.charge_point_id) as cp:
        first = await _start(cp, tag, at)
        again = await _start(cp, tag, at)
    assert first == again
    async with runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ChargingSession)) == 1


async def test_a_transaction_reported_after_being_offline_keeps_the_chargers_times(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime)
    tag = await make_id_tag(runtime, await make_driver(runtime))
    days_ago = datetime(2026, 1, 10, 22, 15, tzinfo=UTC)
    async with connect(live_server, charger.charge_point_id) as cp:
        transaction = await _start(cp, tag, days_ago, meter=50_000)
        await cp.call(
            call.StopTransaction(
                meter_stop=58_000,
                timestamp=iso(days_ago + timedelta(minutes=95)),
                transaction_id=transaction,
                reason="EVDisconnected",
                transaction_data=[
                    {
                        "timestamp": iso(days_ago + timedelta(minutes=45)),
                        "sampled_value": [{"value": "54000"}],
                    }
                ],
            )
        )
    async with runtime.sessionmaker() as session:
        row = (await session.scalars(select(ChargingSession))).one()
        readings = (await session.scalars(select(MeterValue))).all()
    assert (row.started_at, row.ended_at) == (days_ago, days_ago + timedelta(minutes=95))
    assert row.energy_wh == 8000 and row.stop_reason == "EVDisconnected"
    assert [r.energy_wh for r in readings] == [54_000]


async def test_a_charger_that_reconnects_mid_session_keeps_its_session(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime)
    tag = await make_id_tag(runtime, await make_driver(runtime))
    at = datetime(2026, 5, 3, 7, 0, tzinfo=UTC)
    async with connect(live_server, charger.charge_point_id) as cp:
        transaction = await _start(cp, tag, at)
    async with runtime.sessionmaker() as session:
        row = (await session.scalars(select(ChargingSession))).one()
        assert row.status == "active"
    async with connect(live_server, charger.charge_point_id) as cp:
        await cp.call(call.BootNotification(charge_point_model="Terra", charge_point_vendor="ABB"))
        await cp.call(
            call.StopTransaction(
                meter_stop=4000,
                timestamp=iso(at + timedelta(minutes=20)),
                transaction_id=transaction,
            )
        )
    async with runtime.sessionmaker() as session:
        rows = (await session.scalars(select(ChargingSession))).all()
    assert len(rows) == 1 and rows[0].status == "completed" and rows[0].energy_wh == 3000


async def test_an_unknown_id_tag_is_invalid_and_its_session_has_no_driver(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime)
    async with connect(live_server, charger.charge_point_id) as cp:
        auth = await cp.call(call.Authorize(id_tag="NOT-A-TAG"))
        started = await cp.call(
            call.StartTransaction(
                connector_id=1, id_tag="NOT-A-TAG", meter_start=0, timestamp=iso(datetime.now(UTC))
            )
        )
    assert auth.id_tag_info["status"] == "Invalid"
    assert started.id_tag_info["status"] == "Invalid"
    async with runtime.sessionmaker() as session:
        row = (await session.scalars(select(ChargingSession))).one()
    assert row.user_id is None


def _reading(at: datetime, wh: int, watts: int) -> list[dict[str, object]]:
    return [
        {
            "timestamp": iso(at),
            "sampled_value": [
                {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                {"value": str(watts), "measurand": "Power.Active.Import", "unit": "W"},
            ],
        }
    ]


async def test_meter_values_of_many_chargers_at_once_are_each_stored_once(
    live_server: str, runtime: Runtime
) -> None:
    """Readings arriving together are written set-based in one batch: each lands on its
    own session and charger, and a replay in the same burst is stored once."""
    at = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    chargers = [await make_charger(runtime) for _ in range(4)]
    rows = [
        await make_session(runtime, charger, user=None, started_at=at, minutes=None)
        for charger in chargers
    ]
    async with contextlib.AsyncExitStack() as stack:
        points = [
            await stack.enter_async_context(connect(live_server, c.charge_point_id))
            for c in chargers
        ]
        reading = [
            call.MeterValues(
                connector_id=1,
                transaction_id=int(row.transaction_id or row.id),
                meter_value=_reading(at + timedelta(minutes=5), 2000 + i, 7000 + i),
            )
            for i, row in enumerate(rows)
        ]
        await asyncio.gather(*(cp.call(r) for cp, r in zip(points, reading, strict=True)))
        # The first charger replays its reading while the others send a newer one.
        await asyncio.gather(
            points[0].call(reading[0]),
            *(
                cp.call(
                    call.MeterValues(
                        connector_id=1,
                        transaction_id=int(row.transaction_id or row.id),
                        meter_value=_reading(at + timedelta(minutes=10), 3000 + i, 8000 + i),
                    )
                )
                for i, (cp, row) in enumerate(zip(points[1:], rows[1:], strict=True), start=1)
            ),
        )
        # Read while connected: a charger that disconnects is marked Offline, power 0.
        async with runtime.sessionmaker() as session:
            stored = (
                await session.execute(select(MeterValue.session_id, MeterValue.energy_wh))
            ).all()
            saved = {r.id: r for r in (await session.scalars(select(ChargingSession))).all()}
            power = {
                charger_id: watts
                for charger_id, watts in await session.execute(
                    select(Charger.id, Charger.current_power_w)
                )
            }
            updates = await session.scalar(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.topic == events.SESSION_UPDATED)
            )
    assert sorted(stored) == sorted(
        [(rows[0].id, 2000)]
        + [(row.id, wh) for i, row in enumerate(rows[1:], start=1) for wh in (2000 + i, 3000 + i)]
    )
    assert [saved[row.id].last_meter_wh for row in rows] == [2000, 3001, 3002, 3003]
    assert [power[c.id] for c in chargers] == [7000, 8001, 8002, 8003]
    assert updates == 7


async def test_boots_and_statuses_of_many_chargers_at_once_land_on_each_charger(
    live_server: str, runtime: Runtime
) -> None:
    """Boot and StatusNotification are written set-based per batch: each charger gets its
    own firmware and connector status, and each message its own announcement."""
    chargers = [await make_charger(runtime) for _ in range(4)]
    async with contextlib.AsyncExitStack() as stack:
        points = [
            await stack.enter_async_context(connect(live_server, c.charge_point_id))
            for c in chargers
        ]
        await asyncio.gather(
            *(
                cp.call(
                    call.BootNotification(
                        charge_point_model="Terra",
                        charge_point_vendor="ABB",
                        firmware_version=f"fw-{i}",
                    )
                )
                for i, cp in enumerate(points)
            )
        )
        statuses = ["Preparing", "Charging", "Faulted", "Available"]
        await asyncio.gather(
            *(
                cp.call(call.StatusNotification(connector_id=1, error_code=code, status=status))
                for cp, status, code in zip(
                    points,
                    statuses,
                    ["NoError", "NoError", "GroundFailure", "NoError"],
                    strict=True,
                )
            )
        )
        async with runtime.sessionmaker() as session:
            firmware = {
                charger_id: version
                for charger_id, version in await session.execute(
                    select(Charger.id, Charger.firmware_version)
                )
            }
            connectors = {
                c.charger_id: (c.status, c.error_code)
                for c in (
                    await session.scalars(select(Connector).where(Connector.connector_number == 1))
                ).all()
            }
            announced = await session.scalars(
                select(OutboxEvent).where(OutboxEvent.topic == events.CHARGER_STATUS)
            )
            last_status = {
                e.payload["chargerId"]: e.payload["connectors"][0]["status"]
                for e in sorted(announced.all(), key=lambda e: e.created_at)
            }
    assert [firmware[c.id] for c in chargers] == ["fw-0", "fw-1", "fw-2", "fw-3"]
    assert [connectors[c.id] for c in chargers] == [
        ("Preparing", None),
        ("Charging", None),
        ("Faulted", "GroundFailure"),
        ("Available", None),
    ]
    assert [last_status[c.charge_point_id] for c in chargers] == statuses
