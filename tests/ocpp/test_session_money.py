"""What a session costs, through the API: energy from meterStart, cost rounded half up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from ocpp.v16 import call

from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import bearer, login, make_user
from tests.factories.ocpp import connect, iso, make_charger, make_id_tag, start_charging
from tests.factories.wallet import fund

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


async def test_a_completed_session_is_debited_from_the_wallet_once(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """A rule with a peak from 09:30: 1 kWh before at Rs 20, 1 kWh after at 2x; the Stop
    sent twice debits Rs 60.00 once, and invoices it once."""
    charger = await make_charger(runtime, base_price_minor=1801)
    driver = await make_user(runtime)
    await fund(runtime, driver, 50_000)
    admin = bearer(await login(client, await make_user(runtime, role=Role.ADMIN)))
    rule = {
        "name": "Peak",
        "stationId": str(charger.station_id),
        "rules": [{"type": "ENERGY", "price": 20}],
        "peakHours": [{"startTime": "09:30", "endTime": "11:00", "multiplier": 2}],
    }
    made = await client.post("/api/v1/pricing/rules", json=rule, headers=admin)
    assert made.status_code == 201, made.text
    tag = await make_id_tag(runtime, driver)
    headers = bearer(await login(client, driver))
    async with connect(live_server, charger.charge_point_id) as cp:
        reading = (START + timedelta(minutes=30), 2_000)
        transaction = await start_charging(cp, tag, meter_start=1_000, at=START, reading=reading)
        stop = call.StopTransaction(
            meter_stop=3_000, timestamp=iso(START + timedelta(hours=1)), transaction_id=transaction
        )
        await cp.call(stop)
        await cp.call(stop)
    path = f"/api/v1/sessions/{transaction}"
    closed = (await client.get(path, headers=headers)).json()["data"]["session"]
    cdr = (await client.get(f"{path}/cdr", headers=headers)).json()["data"]["cdr"]
    assert closed["cost"] == 60 and closed["paymentStatus"] == "paid"
    assert cdr["totalCost"] == 60 and cdr["pricing"]["gst"] == 9.15  # 6000 x 18/118
    body = (await client.get("/api/v1/profile/wallet", headers=headers)).json()["data"]
    assert body["balance"] == 440
    debits = [t for t in body["transactions"] if t["type"] == "debit"]
    assert [(t["amount"], t["sessionId"]) for t in debits] == [(60, str(transaction))]
    # Invoiced once, in the same transaction; the invoice and the monthly report agree.
    listed = (await client.get("/api/v1/billing/invoices", headers=headers)).json()["data"]
    [invoice] = listed["invoices"]
    assert invoice["sessionId"] == f"SES{int(transaction):06d}" and invoice["status"] == "paid"
    assert cdr["totalCost"] == debits[0]["amount"] == invoice["total"] == 60
    assert cdr["pricing"]["gst"] == invoice["tax"] == 9.15
    assert invoice["subtotal"] == 50.85 and invoice["taxPercentage"] == 18
    # The items are net of GST, shared out so they add up to the subtotal exactly.
    assert [(i["description"], i["amount"]) for i in invoice["items"]] == [
        ("Energy 2.000 kWh", 33.9),
        ("Peak-hour charge", 16.95),
    ]
    today = utcnow().date()
    report = (
        await client.get(
            f"/api/v1/billing/reports/monthly?month={today.month}&year={today.year}",
            headers=admin,
        )
    ).json()["data"]["report"]
    assert (report["sessions"], report["energyKwh"]) == (1, 2)
    assert report["revenue"]["total"] == 60 and report["gstCollected"] == 9.15
    assert report["revenue"]["byComponent"]["energy"] == 33.9
    assert report["revenue"]["byComponent"]["peak"] == 16.95
    [station] = report["revenue"]["byStation"]
    assert station["stationId"] == str(charger.station_id) and station["revenue"] == 60


async def test_a_wallet_that_cannot_cover_leaves_the_session_pending(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger = await make_charger(runtime, base_price_minor=2000)
    driver = await make_user(runtime)
    await fund(runtime, driver, 1_000)
    tag = await make_id_tag(runtime, driver)
    headers = bearer(await login(client, driver))
    async with connect(live_server, charger.charge_point_id) as cp:
        reading = (START + timedelta(minutes=30), 2_000)
        transaction = await start_charging(cp, tag, meter_start=1_000, at=START, reading=reading)
        await cp.call(
            call.StopTransaction(
                meter_stop=3_000,
                timestamp=iso(START + timedelta(hours=1)),
                transaction_id=transaction,
            )
        )
    closed = (await client.get(f"/api/v1/sessions/{transaction}", headers=headers)).json()
    assert closed["data"]["session"]["cost"] == 40
    assert closed["data"]["session"]["paymentStatus"] == "pending"
    wallet = (await client.get("/api/v1/profile/wallet", headers=headers)).json()["data"]
    assert wallet["balance"] == 10
    from sqlalchemy import select

    from evcare.billing.wallet import LOW_BALANCE
    from evcare.core.events import OutboxEvent

    async with runtime.sessionmaker() as session:
        told = (
            await session.scalars(select(OutboxEvent).where(OutboxEvent.topic == LOW_BALANCE))
        ).all()
    assert [e.payload["balance"] for e in told if e.payload["user_id"] == driver.id] == [10]
