"""A session a real OCPP charger stops is billed, invoiced and reported: the CDR, the
wallet entry, the invoice and the monthly report agree to the paisa."""

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


async def test_a_stopped_session_is_invoiced_once_and_the_report_agrees(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """ENERGY Rs 20/kWh with a x2 peak from 09:30: 1 kWh before and 1 kWh after is Rs 60,
    GST included (18 %: Rs 9.15); the Stop sent twice invoices once."""
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
    assert (await client.post("/api/v1/pricing/rules", json=rule, headers=admin)).is_success
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
    cdr = (await client.get(f"/api/v1/sessions/{transaction}/cdr", headers=headers)).json()
    cdr = cdr["data"]["cdr"]
    wallet = (await client.get("/api/v1/profile/wallet", headers=headers)).json()["data"]
    [debit] = [t for t in wallet["transactions"] if t["type"] == "debit"]
    listed = (await client.get("/api/v1/billing/invoices", headers=headers)).json()["data"]
    [invoice] = listed["invoices"]
    assert invoice["sessionId"] == f"SES{int(transaction):06d}" and invoice["status"] == "paid"
    assert cdr["totalCost"] == debit["amount"] == invoice["total"] == 60
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
