"""Issue 16's whole flow over HTTP as the workshop's three users: pickup and inspection
before approval, a reschedule after assignment (its fee carried to the payment), found
work (one line approved, one declined), a status link, and the receipt in the billing
ledger whose totals match the booking to the paisa."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from tests.factories.bookings import (
    analyse,
    approve,
    assign,
    book,
    confirm,
    make_workshop,
    ok,
    report,
    validate,
)
from tests.factories.service import make_service, make_timeslot
from tests.surfaces.revcare.helpers import assert_revcare_error


def paise(amount: float | int) -> int:
    return int(Decimal(str(amount)) * 100)


async def test_a_workshop_day_from_pickup_to_receipt_with_found_work_and_a_reschedule(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    battery, brakes = shop.services
    customer, mechanic, admin = shop.customer, shop.mechanic, shop.admin
    coolant = await make_service(runtime, name="Coolant flush", price_minor=80_000)
    wipers = await make_service(runtime, name="Wiper blades", price_minor=45_000)
    afternoon = await make_timeslot(runtime, start=shop.timeslot.end_time, end=time(13, 0))

    booking_id = (await book(client, shop))["id"]
    await assign(client, shop, booking_id)

    # The assigned mechanic sees where to go, which car, whom to call.
    job = ok(await client.get(f"/bookings/{booking_id}", headers=mechanic.headers))
    pickup = job["pickup"]
    assert pickup["address"]["line1"] == "12 Anna Salai" and pickup["address"]["pincode"]
    assert pickup["car"]["model"] == "Nexon EV" and pickup["car"]["registration_number"]
    assert pickup["customer"]["first_name"] == customer.user.first_name
    assert pickup["customer"]["phone"] == customer.user.phone
    assert job["status_link"] is None  # the customer's and the admins' only

    # Pickup and inspection are reported before anything is approved; work is not.
    picked = await report(client, shop, booking_id, battery.id, "vehicle-picked-up")
    await validate(client, shop, picked["id"])
    inspected = await report(client, shop, booking_id, battery.id, "inspection")
    await validate(client, shop, inspected["id"])
    early_work = await client.post(
        "/bookings/mechanic/progress",
        json={
            "booking_id": booking_id,
            "service_id": battery.id,
            "status_id": shop.statuses["in-progress"].id,
        },
        headers=mechanic.headers,
    )
    assert "mechanic_assigned" in assert_revcare_error(early_work, 409)["detail"]

    # The customer moves the booking to the afternoon: assigned already, so the
    # cancellation fee applies (10 % of 3,500.50 = 350.05, GST 63.01); no wallet, so it
    # waits for the next payment.
    moved = ok(
        await client.put(
            f"/bookings/{booking_id}/reschedule",
            json={"timeslot_id": afternoon.id, "reason": "meeting ran late"},
            headers=customer.headers,
        )
    )
    assert moved["timeslot_id"] == afternoon.id and moved["status"] == "mechanic_assigned"
    assert moved["slot_starts_at"].endswith("+05:30")

    await analyse(client, shop, booking_id, ("1000", "2000"))
    approved = await approve(client, shop, booking_id)
    assert approved["total"] == 3540  # 3,000 + 18 % GST
    await confirm(client, shop, booking_id, payment_mode="cod")
    started = await report(client, shop, booking_id, battery.id, "in-progress")
    await validate(client, shop, started["id"])

    # Found during the work: coolant (labour and two priced parts) and wipers.
    found = ok(
        await client.post(
            "/bookings/mechanic/found-work",
            json={
                "booking_id": booking_id,
                "items": [
                    {
                        "service_id": coolant.id,
                        "estimated_cost": "500",
                        "estimated_time_minutes": 40,
                        "note": "Coolant brown",
                        "parts": [{"name": "Coolant 1 l", "quantity": 2, "unit_price": "120.25"}],
                    },
                    {
                        "service_id": wipers.id,
                        "estimated_cost": "450",
                        "estimated_time_minutes": 10,
                    },
                ],
            },
            headers=mechanic.headers,
        ),
        201,
    )
    assert sorted(found["awaiting_approval"]) == sorted([coolant.id, wipers.id])
    lines = {line["service_id"]: line for line in found["services"]}
    assert lines[coolant.id]["found"] and lines[coolant.id]["quoted_amount"] == 740.5
    assert lines[coolant.id]["amount"] == 0  # not charged until approved
    assert found["total"] == 3540
    waiting = await client.post(
        "/bookings/mechanic/progress",
        json={
            "booking_id": booking_id,
            "service_id": coolant.id,
            "status_id": shop.statuses["in-progress"].id,
        },
        headers=mechanic.headers,
    )
    assert "approval" in assert_revcare_error(waiting, 400)["detail"]

    # The customer approves the coolant and declines the wipers; totals follow.
    decided = ok(
        await client.put(
            f"/bookings/{booking_id}/found-work",
            json={
                "decisions": [
                    {"service_id": coolant.id, "decision": "approve"},
                    {"service_id": wipers.id, "decision": "decline"},
                ]
            },
            headers=customer.headers,
        )
    )
    assert decided["awaiting_approval"] == []
    assert (decided["subtotal"], decided["gst_amount"]) == (3740.5, 673.29)

    # Work on every approved line; the last final status completes the booking.
    parts = await report(client, shop, booking_id, coolant.id, "waiting-for-parts")
    await validate(client, shop, parts["id"])
    for service in (battery, brakes, coolant):
        done = await report(client, shop, booking_id, service.id, "completed")
        await validate(client, shop, done["id"])
    refused = await client.post(
        "/bookings/mechanic/progress",
        json={
            "booking_id": booking_id,
            "service_id": wipers.id,
            "status_id": shop.statuses["completed"].id,
        },
        headers=mechanic.headers,
    )
    assert refused.status_code in (400, 409), refused.text

    # Cash on delivery: the reschedule fee is added to this payment.
    reserved = ok(
        await client.post(f"/payment/cash-on-delivery/{booking_id}", headers=customer.headers)
    )
    booking = reserved["booking"]
    assert booking["status"] == "completed"
    assert [(f["kind"], f["amount"], f["gst_amount"]) for f in booking["fees"]] == [
        ("reschedule", 413.06, 63.01)
    ]
    assert booking["total"] == 4826.85  # 3,740.50 + 673.29 GST + 413.06 fee
    assert reserved["payment"]["amount"] == booking["total"]
    paid = ok(
        await client.post(
            "/payment/verify-cod", json={"booking_id": booking_id}, headers=mechanic.headers
        )
    )["booking"]
    assert paid["status"] == "paid" and paid["fees"][0]["status"] == "carried"

    # The receipt: an invoice in the one ledger, its totals the booking's to the paisa.
    receipt = ok(await client.get(f"/bookings/{booking_id}/receipt", headers=customer.headers))
    assert receipt["invoice_number"].startswith("INV-") and receipt["status"] == "paid"
    assert paise(receipt["total"]) == paise(paid["total"])
    assert paise(receipt["subtotal"]) + paise(receipt["gst_amount"]) == paise(receipt["total"])
    assert sum(paise(i["amount"]) for i in receipt["items"]) == paise(receipt["subtotal"])
    assert paise(receipt["gst_amount"]) == paise(paid["gst_amount"]) + 6301
    assert [paise(i["amount"]) for i in receipt["items"]] == [100_000, 200_000, 74_050, 35_005]
    assert not any("Wiper" in item["description"] for item in receipt["items"])
    pdf = await client.get(
        f"/bookings/{booking_id}/receipt", params={"format": "pdf"}, headers=customer.headers
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    ledger = ok(await client.get("/api/v1/billing/invoices", headers=customer.headers))
    assert receipt["invoice_number"] in {i["invoiceNumber"] for i in _invoices(ledger)}
    # The network's billing report counts it: its components still add up to the net.
    # (The report's days are the network's: Asia/Kolkata by default.)
    today = utcnow().astimezone(ZoneInfo("Asia/Kolkata")).date().isoformat()
    daily = ok(
        await client.get(f"/api/v1/billing/reports/daily?date={today}", headers=admin.headers)
    )["data"]["report"]
    parts_of_net = daily["revenue"]["byComponent"]
    assert (parts_of_net["workshopService"], parts_of_net["workshopFee"]) == (3740.5, 350.05)
    assert paise(daily["revenue"]["net"]) == paise(receipt["subtotal"])

    # The timeline names who did what, by public id and role.
    detail = ok(await client.get(f"/bookings/{booking_id}", headers=admin.headers))
    actors = {(e["actor"], e["actor_role"]) for e in detail["timeline"]}
    assert {
        (customer.cst_id, "customer"),
        (mechanic.mec_id, "mechanic"),
        (f"ADM{admin.user.id:06d}", "admin"),
    } <= actors
    assert any("rescheduled from" in e["note"] for e in detail["timeline"])

    # The status link shows first name, car model, live status and steps; nothing else.
    link = detail["status_link"]
    public = ok(await client.get(link["path"]))
    assert set(public) == {
        "booking_id",
        "first_name",
        "car_model",
        "status",
        "service_date",
        "timeline",
        "link_expires_at",
    }
    assert (public["first_name"], public["car_model"], public["status"]) == (
        customer.user.first_name,
        "Tata Nexon EV",
        "paid",
    )
    assert [step["status"] for step in public["timeline"]][-1] == "paid"
    page = await client.get(link["path"], headers={"Accept": "text/html"})
    assert page.status_code == 200 and "paid" in page.text
    assert str(customer.user.phone) not in page.text + str(public)

    # Every notice reached the customer's channels: the estimate with its amount, the
    # supplementary estimate, item updates, ready for delivery.
    await runtime.outbox.drain()
    logs = ok(
        await client.get(
            "/notification/notifications/logs",
            params={"notification_category": "booking", "limit": 200},
            headers=customer.headers,
        )
    )
    titles = [n["title"] for n in logs if n["channel"] == "in_app"]
    messages = " | ".join(n["message"] for n in logs if n["channel"] == "in_app")
    assert "Estimate ready" in titles and "INR 3,540" in messages
    assert "Supplementary estimate awaiting approval" in titles
    assert "Coolant flush: Waiting for parts" in titles
    assert "Ready for delivery" in titles and "Booking rescheduled" in titles
    assert {n["channel"] for n in logs} == {"in_app", "email"}


def _invoices(ledger: dict[str, Any]) -> list[dict[str, Any]]:
    data = ledger["data"]
    return list(data["invoices"] if isinstance(data, dict) else data)
