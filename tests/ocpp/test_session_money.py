"""What a session costs, through the API: energy from meterStart, cost rounded half up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from ocpp.v16 import call

from evcare.core.runtime import Runtime
from tests.factories.identity import bearer, login, make_user
from tests.factories.ocpp import connect, iso, make_charger, make_id_tag, start_charging

START = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)


async def test_an_active_session_counts_energy_and_cost_from_its_meter_start(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger = await make_charger(runtime, base_price_minor=2000)
    driver = await make_user(runtime)
    tag = await make_id_tag(runtime, driver)
    async with connect(live_server, charger.charge_point_id) as cp:
        reading = (START + timedelta(minutes=15), 122_500)
        transaction = await start_charging(cp, tag, meter_start=120_000, at=START, reading=reading)
    headers = bearer(await login(client, driver))
    response = await client.get(f"/api/v1/sessions/{transaction}", headers=headers)
    assert response.status_code == 200, response.text
    session = response.json()["data"]["session"]
    assert session["status"] == "active" and session["meterStart"] == 120_000
    assert session["energyConsumed"] == 2.5  # 122,500 - 120,000 Wh, not 122.5 kWh
    assert session["cost"] == 50  # 2.5 kWh x 20.00


async def test_energy_cost_is_rounded_half_up_to_the_paisa(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """500 Wh at Rs 18.01/kWh is 900.5 paise: half up gives Rs 9.01 (half even: 9.00)."""
    charger = await make_charger(runtime, base_price_minor=1801)
    driver = await make_user(runtime)
    tag = await make_id_tag(runtime, driver)
    headers = bearer(await login(client, driver))
    async with connect(live_server, charger.charge_point_id) as cp:
        reading = (START + timedelta(minutes=5), 7_500)
        transaction = await start_charging(cp, tag, meter_start=7_000, at=START, reading=reading)
        path = f"/api/v1/sessions/{transaction}"
        active = (await client.get(path, headers=headers)).json()["data"]["session"]
        assert active["cost"] == 9.01
        await cp.call(
            call.StopTransaction(
                meter_stop=7_500,
                timestamp=iso(START + timedelta(minutes=6)),
                transaction_id=transaction,
            )
        )
    closed = (await client.get(path, headers=headers)).json()["data"]["session"]
    cdr = (await client.get(f"{path}/cdr", headers=headers)).json()["data"]["cdr"]
    assert closed["energyConsumed"] == 0.5
    assert closed["cost"] == 9.01
    assert cdr["totalCost"] == 9.01 and cdr["pricing"]["totalEnergyCost"] == 9.01
