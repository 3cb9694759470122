"""``evcare simulate``'s chargers make real sessions on a real server (both OCPP versions)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from evcare.charging.sessions.models import ChargingSession
from evcare.core.runtime import Runtime
from evcare.simulator.charger import SimulatedCharger, Timing
from evcare.simulator.fleet import FleetPlan, build_fleet, run_fleet
from tests.factories.identity import login
from tests.factories.ocpp import CHARGER_PASSWORD, make_charger, make_driver, make_id_tag
from tests.factories.realtime import connected

FAST = Timing(heartbeat=1.0, meter=0.1, session=(0.4, 0.5), idle=(0.05, 0.1), reconnect=0.2)


@pytest.mark.parametrize("protocol", ["1.6", "2.0.1"])
async def test_simulated_charger_completes_a_session_for_the_driver(
    live_server: str, runtime: Runtime, protocol: str
) -> None:
    charger = await make_charger(runtime)
    driver = await make_driver(runtime)
    tag = await make_id_tag(runtime, driver)
    simulated = SimulatedCharger(
        url=live_server,
        charge_point_id=charger.charge_point_id,
        password=CHARGER_PASSWORD,
        protocol=protocol,
        id_tag=tag,
        timing=FAST,
        sessions=1,
    )
    await asyncio.wait_for(simulated.run(), timeout=30)
    assert simulated.state.sessions_done == 1
    async with runtime.sessionmaker() as session:
        row = (await session.scalars(select(ChargingSession))).one()
    assert row.user_id == driver.id
    assert row.ocpp_version == protocol
    assert row.status == "completed"
    assert row.energy_wh is not None and row.energy_wh > 0
    assert row.energy_wh == simulated.state.energy_wh


async def test_fleet_sessions_show_up_live_for_the_driver(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    first = await make_charger(runtime, charge_point_id="SIMTEST-001")
    await make_charger(runtime, owner=None, charge_point_id="SIMTEST-002")
    driver = await make_driver(runtime)
    tag = await make_id_tag(runtime, driver)
    plan = FleetPlan(
        url=live_server,
        count=2,
        prefix="SIMTEST-",
        password=CHARGER_PASSWORD,
        protocol="mixed",
        id_tag=tag,
        timing=FAST,
        sessions=1,
        seed=7,
    )
    fleet = build_fleet(plan)
    assert [c.state.protocol for c in fleet] == ["1.6", "2.0.1"]
    async with connected(live_server, token=await login(client, driver)) as socket:
        await asyncio.wait_for(run_fleet(fleet, duration=None), timeout=30)
        stopped = [await socket.next("session-stopped") for _ in range(2)]
    chargers = sorted(event["session"]["chargerId"] for event in stopped)
    assert chargers == [first.charge_point_id, "SIMTEST-002"]
    assert all(event["session"]["status"] == "completed" for event in stopped)


async def test_remote_stop_ends_the_simulated_session(live_server: str, runtime: Runtime) -> None:
    from evcare.ocpp.registry import registry_of

    charger = await make_charger(runtime)
    driver = await make_driver(runtime)
    tag = await make_id_tag(runtime, driver)
    long_visit = Timing(heartbeat=5.0, meter=0.1, session=(60, 60), idle=(0.05, 0.1))
    simulated = SimulatedCharger(
        url=live_server,
        charge_point_id=charger.charge_point_id,
        password=CHARGER_PASSWORD,
        protocol="1.6",
        id_tag=tag,
        timing=long_visit,
        sessions=1,
    )
    running = asyncio.create_task(simulated.run())
    try:
        for _ in range(300):
            if simulated.state.transaction is not None:
                break
            await asyncio.sleep(0.05)
        assert simulated.state.transaction is not None
        answer = await registry_of(runtime).call(
            charger.charge_point_id,
            "RemoteStopTransaction",
            {"transactionId": int(simulated.state.transaction)},
            wait_seconds=10,
        )
        assert answer == {"status": "Accepted"}
        await asyncio.wait_for(running, timeout=30)
    finally:
        running.cancel()
    async with runtime.sessionmaker() as session:
        row = (await session.scalars(select(ChargingSession))).one()
    assert row.status == "completed"
    assert row.stop_reason == "Remote"
