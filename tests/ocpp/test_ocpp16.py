"""OCPP 1.6J end to end: a real charge point over a real WebSocket against the live server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ocpp.v16 import call
from sqlalchemy import select

from evcare.charging.models import Charger, Connector
from evcare.charging.sessions_models import ChargingSession, MeterValue
from evcare.core.runtime import Runtime
from tests.factories.identity import make_user
from tests.factories.ocpp import connect, iso, make_charger, make_id_tag


async def test_boot_authorize_start_meter_stop_makes_a_billed_session(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime, base_price_minor=1850)
    driver = await make_user(runtime)
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
