"""Issue 10's whole flow, through real parts: a driver tops up (Razorpay sandbox), books a
connector (real OCPP ReserveNow reaches the charger), hears the booking-reminder over a
real socket.io client, starts, charges across a peak boundary and stops. The CDR, the
wallet entries, the invoice and the monthly report agree to the paisa."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta

import httpx
from ocpp.v16 import call

from evcare.charging.bookings import jobs
from evcare.core.clock import clock, utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.ocpp.registry import registry_of
from tests.factories.connector_bookings import BOOKINGS, book, driver
from tests.factories.identity import bearer, login, make_user
from tests.factories.ocpp import connect, energy_reading, iso, make_charger
from tests.factories.realtime import connected

WALLET = "/api/v1/profile/wallet"


def _data(response: httpx.Response, status: int = 200) -> dict[str, object]:
    assert response.status_code == status, response.text
    result: dict[str, object] = response.json()["data"]
    return result


def _minute_after(moment: datetime, minutes: int) -> datetime:
    later = moment + timedelta(minutes=minutes)
    return later.replace(second=0, microsecond=0) + timedelta(minutes=1)


async def test_topup_book_remind_charge_across_a_peak_and_everything_agrees(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient, frozen_clock: None
) -> None:
    who = await driver(runtime, client, funds=0)
    admin = bearer(await login(client, await make_user(runtime, role=Role.ADMIN)))
    charger = await make_charger(runtime)

    # 1. Top up Rs 1,000 through the Razorpay sandbox: order, Checkout, verify.
    opened = _data(
        await client.post(
            f"{WALLET}/topup", json={"amount": 1000, "paymentMethod": "upi"}, headers=who.headers
        )
    )
    order_id = opened["checkout"]["orderId"]  # type: ignore[index]
    paid = _data(
        await client.post(f"{WALLET}/topup/sandbox-checkout/{order_id}", headers=who.headers)
    )
    credited = _data(await client.post(f"{WALLET}/topup/verify", json=paid, headers=who.headers))
    assert credited["wallet"] == {"balance": 1000, "currency": "INR"}

    # The charger stamps its messages with its own clock (real time); the peak starts
    # 25-26 minutes after the session will.
    charger_start = datetime.now(UTC)
    peak_start = _minute_after(charger_start, 25)
    rule = {
        "name": "Evening peak",
        "stationId": str(charger.station_id),
        "rules": [{"type": "ENERGY", "price": 20}],
        "peakHours": [
            {
                "startTime": peak_start.strftime("%H:%M"),
                "endTime": (peak_start + timedelta(hours=2)).strftime("%H:%M"),
                "multiplier": 1.5,
            }
        ],
    }
    assert (await client.post("/api/v1/pricing/rules", json=rule, headers=admin)).is_success

    # 2. Book 20 minutes ahead (the reservation fee, Rs 50, is debited).
    booking = await book(client, who, charger, at=utcnow() + timedelta(minutes=20), minutes=90)
    assert booking["status"] == "confirmed"
    async with (
        connected(live_server, token=who.token) as socket,
        connect(live_server, charger.charge_point_id) as cp,
    ):
        # 3. The reminder, 15 minutes before the start, over socket.io.
        clock.advance(timedelta(minutes=5, seconds=1))
        await jobs.send_reminders(runtime)
        reminder = await socket.next("booking-reminder")
        assert reminder["booking"]["id"] == booking["id"]
        # 4. ReserveNow reaches the charger 5 minutes before the start.
        clock.advance(timedelta(minutes=10))
        outcome = await jobs.run_once(runtime, registry_of(runtime))
        assert outcome.reserved == [int(booking["id"])]
        [reserve] = [payload for name, payload in cp.received if name == "ReserveNow"]
        assert reserve["reservation_id"] == int(booking["id"])
        # 5. Start: RemoteStartTransaction on the booked connector, the session linked.
        started = await client.put(f"{BOOKINGS}/{booking['id']}/start", headers=who.headers)
        assert started.status_code == 200, started.text
        transaction = await asyncio.wait_for(cp.started.get(), timeout=10)
        # 6. Charge: 1 kWh in the first 20 minutes, 1 kWh in the next 20 (across the peak).
        first = charger_start + timedelta(minutes=20)
        stop_at = charger_start + timedelta(minutes=40)
        await cp.call(
            call.MeterValues(
                connector_id=1, transaction_id=transaction, meter_value=energy_reading(first, 2000)
            )
        )
        clock.freeze(stop_at + timedelta(seconds=5))
        await cp.call(
            call.StopTransaction(
                meter_stop=3000, timestamp=iso(stop_at), transaction_id=transaction, reason="Local"
            )
        )
    headers = bearer(await login(client, who.user))
    cdr = _data(await client.get(f"/api/v1/sessions/{transaction}/cdr", headers=headers))["cdr"]
    entries = _data(await client.get(f"{WALLET}/transactions?limit=100", headers=headers))
    listed = _data(await client.get("/api/v1/billing/invoices", headers=headers))
    today = utcnow().date()
    report = _data(
        await client.get(
            f"/api/v1/billing/reports/monthly?month={today.month}&year={today.year}",
            headers=bearer(await login(client, await make_user(runtime, role=Role.ADMIN))),
        )
    )["report"]
    assert isinstance(cdr, dict) and isinstance(report, dict)

    # The price: 2 kWh at Rs 20, plus half again for the energy drawn after the peak
    # started (linear between the readings), GST included.
    peak_share = (stop_at - peak_start) / timedelta(minutes=20)
    peak_minor = math.floor(1000 * 2000 / 1000 * 0.5 * peak_share + 0.5)
    total_minor = 4000 + peak_minor
    total = total_minor / 100
    # Two invoices, as the wallet has two debits: the session's and the reservation fee's.
    [invoice] = [i for i in listed["invoices"] if i["sessionId"]]  # type: ignore[index]
    [fee_invoice] = [i for i in listed["invoices"] if not i["sessionId"]]  # type: ignore[index]
    fee_gst_minor = math.floor(5_000 * 18 / 118 + 0.5)
    assert (fee_invoice["total"], fee_invoice["tax"]) == (50, fee_gst_minor / 100)
    assert [i["amount"] for i in fee_invoice["items"]] == [(5_000 - fee_gst_minor) / 100]
    session_debits = [
        t["amount"]
        for t in entries["transactions"]  # type: ignore[index]
        if t["type"] == "debit" and t["sessionId"] == str(transaction)
    ]
    assert cdr["totalCost"] == session_debits[0] == invoice["total"] == total
    assert round(report["revenue"]["total"] * 100) == total_minor + 5_000
    assert report["sessions"] == 1
    assert report["invoices"] == 2
    assert cdr["pricing"]["gst"] == invoice["tax"]
    assert round(report["gstCollected"] * 100) == round(invoice["tax"] * 100) + fee_gst_minor
    assert report["revenue"]["byComponent"]["reservation"] == fee_invoice["subtotal"]
    gst_minor = math.floor(total_minor * 18 / 118 + 0.5)
    assert invoice["tax"] == gst_minor / 100
    items = {i["description"]: i["amount"] for i in invoice["items"]}
    assert set(items) == {"Energy 2.000 kWh", "Peak-hour charge"}
    assert (
        round(sum(items.values()) * 100)
        == total_minor - gst_minor
        == round(invoice["subtotal"] * 100)
    )
    assert report["revenue"]["byComponent"]["energy"] == items["Energy 2.000 kWh"]
    assert report["revenue"]["byComponent"]["peak"] == items["Peak-hour charge"]
    # The wallet: +1,000 top-up, -50 reservation fee, -the session; nothing else.
    amounts = sorted(
        (t["type"], t["amount"])
        for t in entries["transactions"]  # type: ignore[index]
    )
    assert amounts == sorted([("credit", 1000), ("debit", 50), ("debit", total)])
    wallet = _data(await client.get(WALLET, headers=headers))
    assert round(wallet["balance"] * 100) == 100_000 - 5_000 - total_minor  # type: ignore[operator]
