"""Chargers that vanish: stale sessions are closed, interrupted, reconciled; a late Stop wins.

Real charge points (1.6 and 2.0.1) over real WebSockets against the live server; the
periodic vanished-charger check is run once by hand (it is what the node's loop runs).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from ocpp.v16 import call
from sqlalchemy import select, update

from evcare.charging.chargers.models import Charger
from evcare.charging.sessions.models import ChargingSession
from evcare.charging.stations.models import Connector
from evcare.core.clock import utcnow
from evcare.core.events import OutboxEvent
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.ocpp import vanished
from tests.factories.identity import bearer, login, make_user
from tests.factories.ocpp import (
    SimCharger16,
    connect,
    iso,
    make_charger,
    make_id_tag,
    start_charging,
)
from tests.factories.wallet import fund

START = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


async def _sessions(runtime: Runtime) -> list[ChargingSession]:
    async with runtime.sessionmaker() as session:
        return list(
            (await session.scalars(select(ChargingSession).order_by(ChargingSession.id))).all()
        )


async def _stopped_events(runtime: Runtime, public_id: str) -> list[dict[str, object]]:
    async with runtime.sessionmaker() as session:
        payloads = await session.scalars(
            select(OutboxEvent.payload)
            .where(OutboxEvent.topic == "charging.session_stopped")
            .order_by(OutboxEvent.created_at)
        )
        return [p for p in payloads if p["sessionId"] == public_id]


async def _start16(cp: SimCharger16, tag: str, *, meter_start: int, at: datetime) -> int:
    started = await cp.call(
        call.StartTransaction(
            connector_id=1, id_tag=tag, meter_start=meter_start, timestamp=iso(at)
        )
    )
    return int(started.transaction_id)


async def test_a_new_transaction_closes_the_connectors_stale_session_and_a_late_stop_wins(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime, base_price_minor=2000)
    tag = await make_id_tag(runtime, await make_user(runtime))
    async with connect(live_server, charger.charge_point_id) as cp:
        reading = (START + timedelta(minutes=20), 3000)
        first = await start_charging(cp, tag, meter_start=1000, at=START, reading=reading)
    # The charger vanished without a Stop; back, it starts a new transaction on connector 1.
    async with connect(live_server, charger.charge_point_id) as cp:
        second = await _start16(cp, tag, meter_start=5000, at=START + timedelta(hours=1))
        old, new = await _sessions(runtime)
        assert (old.status, new.status) == ("completed", "active")
        assert old.stop_reason == "Other" and old.stop_estimated is True
        assert old.meter_stop_wh == 3000 and old.energy_wh == 2000
        assert old.cost_minor == 4000  # billed on the last reading: 2 kWh x 20.00
        assert old.ended_at == START + timedelta(minutes=20)
        assert len(await _stopped_events(runtime, f"SES{old.id:06d}")) == 1

        # The charger's own Stop of the first transaction arrives late: it replaces the
        # estimate (billed once: the cost is set, not added); a repeat changes nothing.
        for _ in range(2):
            await cp.call(
                call.StopTransaction(
                    meter_stop=3500,
                    timestamp=iso(START + timedelta(minutes=30)),
                    transaction_id=first,
                    reason="EVDisconnected",
                )
            )
        assert second != first
    old, new = await _sessions(runtime)
    assert old.stop_estimated is False and old.stop_reason == "EVDisconnected"
    assert old.meter_stop_wh == 3500 and old.energy_wh == 2500 and old.cost_minor == 5000
    assert old.ended_at == START + timedelta(minutes=30)
    assert new.status == "active"
    stopped = await _stopped_events(runtime, f"SES{old.id:06d}")
    assert [e["session"]["meterStop"] for e in stopped] == [3000, 3500]  # type: ignore[index]


async def test_a_boot_closes_the_chargers_sessions_as_rebooted(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime, base_price_minor=1000)
    tag = await make_id_tag(runtime, await make_user(runtime))
    async with connect(live_server, charger.charge_point_id) as cp:
        await _start16(cp, tag, meter_start=0, at=START)
    async with connect(live_server, charger.charge_point_id) as cp:
        (row,) = await _sessions(runtime)
        assert row.status == "active"  # a reconnect alone keeps it open
        await cp.call(call.BootNotification(charge_point_model="T", charge_point_vendor="V"))
    (row,) = await _sessions(runtime)
    assert row.status == "completed" and row.stop_reason == "Reboot" and row.stop_estimated


async def test_a_201_connector_reported_available_closes_its_session_and_ended_still_wins(
    live_server: str, runtime: Runtime
) -> None:
    from ocpp.v201 import call as call201

    charger = await make_charger(runtime, base_price_minor=1000)
    tag = await make_id_tag(runtime, await make_user(runtime))
    async with connect(live_server, charger.charge_point_id, subprotocol="ocpp2.0.1") as cs:
        await cs.transaction_event("Started", "tx-gone", energy_wh=1000, id_token=tag, at=START)
        await cs.transaction_event(
            "Updated", "tx-gone", energy_wh=4000, at=START + timedelta(minutes=10)
        )
        await cs.call(
            call201.StatusNotification(
                timestamp=iso(START + timedelta(minutes=50)),
                connector_status="Available",
                evse_id=1,
                connector_id=1,
            )
        )
        (row,) = await _sessions(runtime)
        assert row.status == "completed" and row.stop_reason == "EVDisconnected"
        assert row.energy_wh == 3000 and row.cost_minor == 3000
        await cs.transaction_event(
            "Ended",
            "tx-gone",
            energy_wh=4600,
            at=START + timedelta(minutes=15),
            stopped_reason="EVDisconnected",
        )
    (row,) = await _sessions(runtime)
    assert row.stop_estimated is False
    assert row.energy_wh == 3600 and row.cost_minor == 3600
    assert row.ended_at == START + timedelta(minutes=15)


async def test_a_silent_charger_goes_offline_its_sessions_interrupted_until_it_returns(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    charger = await make_charger(runtime, owner=brand)
    tag = await make_id_tag(runtime, await make_user(runtime))
    async with connect(live_server, charger.charge_point_id) as cp:
        await _start16(cp, tag, meter_start=0, at=START)
        await cp.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Charging")
        )
        headers = bearer(await login(client, brand))
        stats = (await client.get("/api/v1/chargers/stats", headers=headers)).json()["data"]
        assert stats["utilization"] == 50  # one of two connectors charging

        # As if this process died with the socket open: nothing recorded the charger
        # Offline, and it has not been heard from for longer than the grace period.
        grace = timedelta(seconds=runtime.settings.ocpp_offline_grace_seconds)
        async with runtime.sessionmaker() as session:
            await session.execute(
                update(Charger)
                .where(Charger.id == charger.id)
                .values(last_heartbeat_at=utcnow() - grace - timedelta(seconds=5))
            )
            await session.commit()
        assert await vanished.check_once(runtime) == 1
        assert await vanished.check_once(runtime) == 0  # idempotent
    async with runtime.sessionmaker() as session:
        status = await session.scalar(select(Charger.status).where(Charger.id == charger.id))
        connector = await session.scalar(
            select(Connector.status)
            .where(Connector.charger_id == charger.id)
            .where(Connector.connector_number == 1)
        )
        updates = (
            await session.scalars(
                select(OutboxEvent.payload).where(OutboxEvent.topic == "charging.session_updated")
            )
        ).all()
    assert status == "Offline" and connector == "Charging"
    (row,) = await _sessions(runtime)
    assert row.status == "active" and row.interrupted_at is not None
    assert [u["interrupted"] for u in updates] == [True]
    # The ghost of the vanished charger is not in use.
    stats = (await client.get("/api/v1/chargers/stats", headers=headers)).json()["data"]
    assert stats["utilization"] == 0

    async with connect(live_server, charger.charge_point_id) as cp:
        assert (await cp.call(call.Heartbeat())).current_time
        (row,) = await _sessions(runtime)
        assert row.status == "active" and row.interrupted_at is None


async def test_a_late_stop_corrects_what_the_estimate_debited(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Billed Rs 40 on the last reading, the charger's own Stop says Rs 50: the wallet
    pays the Rs 10 difference as a correction, once however often the Stop is sent."""
    charger = await make_charger(runtime, base_price_minor=2000)
    driver = await make_user(runtime)
    await fund(runtime, driver, 100_000)
    tag = await make_id_tag(runtime, driver)
    async with connect(live_server, charger.charge_point_id) as cp:
        reading = (START + timedelta(minutes=20), 3000)
        first = await start_charging(cp, tag, meter_start=1000, at=START, reading=reading)
    async with connect(live_server, charger.charge_point_id) as cp:
        await _start16(cp, tag, meter_start=5000, at=START + timedelta(hours=1))
        for _ in range(2):
            await cp.call(
                call.StopTransaction(
                    meter_stop=3500,
                    timestamp=iso(START + timedelta(minutes=30)),
                    transaction_id=first,
                )
            )
    headers = bearer(await login(client, driver))
    body = (await client.get("/api/v1/profile/wallet", headers=headers)).json()["data"]
    debits = [t["amount"] for t in body["transactions"] if t["type"] == "debit"]
    assert sorted(debits) == [10, 40]
    assert body["balance"] == 950


async def test_a_late_stop_credits_the_estimates_invoice_and_invoices_the_final_price(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """The Rs 40 invoice of the estimate stays, cancelled, reversed by a credit note, and
    an invoice of Rs 50 takes its place: the documents add up to what the wallet paid, and
    the month's report to the final price, once however often the Stop is sent."""
    charger = await make_charger(runtime, base_price_minor=2000)
    driver = await make_user(runtime)
    await fund(runtime, driver, 100_000)
    tag = await make_id_tag(runtime, driver)
    async with connect(live_server, charger.charge_point_id) as cp:
        reading = (START + timedelta(minutes=20), 3000)
        first = await start_charging(cp, tag, meter_start=1000, at=START, reading=reading)
    async with connect(live_server, charger.charge_point_id) as cp:
        await _start16(cp, tag, meter_start=5000, at=START + timedelta(hours=1))
        for _ in range(2):
            await cp.call(
                call.StopTransaction(
                    meter_stop=3500,
                    timestamp=iso(START + timedelta(minutes=30)),
                    transaction_id=first,
                )
            )
    headers = bearer(await login(client, driver))
    listed = (await client.get("/api/v1/billing/invoices", headers=headers)).json()["data"]
    documents = {i["invoiceNumber"][:2]: [] for i in listed["invoices"]}
    for item in listed["invoices"]:
        documents[item["invoiceNumber"][:2]].append(item)
    estimate, final = sorted(documents["IN"], key=lambda i: int(i["id"]))
    [note] = documents["CN"]
    assert (estimate["total"], estimate["status"]) == (40, "cancelled")
    assert estimate["creditNoteNumber"] == note["invoiceNumber"]
    assert estimate["replacedBy"] == final["id"] and final["replaces"] == estimate["id"]
    assert note["type"] == "credit_note" and note["creditedInvoiceId"] == estimate["id"]
    assert note["invoiceNumber"].startswith(f"CN-{utcnow().year}-")
    assert note["total"] == 40 and note["items"] == estimate["items"]
    assert "final reading" in note["cancellationReason"]
    assert (final["total"], final["status"], final["type"]) == (50, "paid", "invoice")
    assert estimate["sessionId"] == final["sessionId"] == note["sessionId"] is not None
    # The documents say what the wallet paid: 40 + 10 = 40 - 40 + 50.
    assert estimate["total"] - note["total"] + final["total"] == 50
    assert listed["summary"]["creditNotes"] == {"count": 1, "amount": 40}
    admin = bearer(await login(client, await make_user(runtime, role=Role.ADMIN)))
    report = (await client.get("/api/v1/billing/reports/monthly", headers=admin)).json()["data"][
        "report"
    ]
    assert report["revenue"]["total"] == 50 and report["sessions"] == 1
    assert report["energyKwh"] == 2.5 and report["invoices"] == 2
    assert report["creditNotes"] == {"count": 1, "amount": 40}
    today = utcnow().date().isoformat()
    exported = await client.get(
        f"/api/v1/billing/export?startDate={today}&endDate={today}", headers=admin
    )
    rows = {row.split(",")[0]: row.split(",") for row in exported.text.strip().splitlines()[1:]}
    assert rows[note["invoiceNumber"]][4] == "cn_session"
    assert sum(Decimal(row[12]) for row in rows.values()) == 50  # the credit note negative


async def test_a_late_stop_that_lowers_the_price_refunds_and_reinvoices_the_lower_price(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Billed Rs 40 on the last reading, the charger's Stop says 1.5 kWh (Rs 30): Rs 10 back
    to the wallet, and the invoices say 40 - 40 + 30."""
    charger = await make_charger(runtime, base_price_minor=2000)
    driver = await make_user(runtime)
    await fund(runtime, driver, 100_000)
    tag = await make_id_tag(runtime, driver)
    async with connect(live_server, charger.charge_point_id) as cp:
        reading = (START + timedelta(minutes=20), 3000)
        first = await start_charging(cp, tag, meter_start=1000, at=START, reading=reading)
    async with connect(live_server, charger.charge_point_id) as cp:
        await _start16(cp, tag, meter_start=5000, at=START + timedelta(hours=1))
        await cp.call(
            call.StopTransaction(
                meter_stop=2500, timestamp=iso(START + timedelta(minutes=30)), transaction_id=first
            )
        )
    headers = bearer(await login(client, driver))
    wallet = (await client.get("/api/v1/profile/wallet", headers=headers)).json()["data"]
    moves = sorted((t["type"], t["amount"]) for t in wallet["transactions"])
    assert moves == [("credit", 10), ("credit", 1000), ("debit", 40)]
    listed = (await client.get("/api/v1/billing/invoices", headers=headers)).json()["data"]
    signed = sorted(
        (-1 if i["type"] == "credit_note" else 1) * i["total"] for i in listed["invoices"]
    )
    assert signed == [-40, 30, 40]
    [final] = [i for i in listed["invoices"] if i["status"] == "paid" and i["type"] == "invoice"]
    assert final["replaces"] is not None and final["items"][0]["description"] == (
        "Energy 1.500 kWh"
    )
