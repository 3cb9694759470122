"""The whole workshop flow over HTTP as its three real users, from booking to payment."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.bookings import (
    analyse,
    approve,
    assign,
    book,
    confirm,
    make_workshop,
    ok,
    person,
    report,
    validate,
)
from tests.surfaces.revcare.helpers import assert_revcare_error


async def test_a_booking_walks_from_creation_to_cash_payment_with_a_declined_item(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    battery, brakes = shop.services
    customer, mechanic, admin = shop.customer, shop.mechanic, shop.admin

    # 1. The customer books both services for a doorstep pickup (the seed's sample body).
    booking = await book(client, shop)
    booking_id = booking["id"]
    assert booking["status"] == "created"
    assert booking["customer_id"] == customer.cst_id
    assert booking["pickup_type"] == "doorstep" and booking["address_id"] == shop.address_id
    assert [s["service_id"] for s in booking["services"]] == [battery.id, brakes.id]
    # Catalogue prices, GST 18 % on each line: 1000.00 + 2500.50, GST 180.00 + 450.09.
    assert (booking["subtotal"], booking["gst_percent"]) == (3500.5, 18)
    assert (booking["gst_amount"], booking["total"]) == (630.09, 4130.59)
    assert booking["mechanic_id"] is None and booking["payment_status"] == "unpaid"
    listed = ok(await client.get("/bookings/customer", headers=customer.headers))
    assert [b["id"] for b in listed] == [booking_id]

    # Not assigned yet: the mechanic cannot see it; a confirmation now is out of order.
    assert_revcare_error(await client.get(f"/bookings/{booking_id}", headers=mechanic.headers), 404)
    early = await client.put(
        f"/bookings/{booking_id}/confirm-services",
        json={"payment_mode": "cod"},
        headers=customer.headers,
    )
    assert "created" in assert_revcare_error(early, 409)["detail"]

    # 2. The admin assigns the mechanic, who now sees the job among their assignments.
    assigned = await assign(client, shop, booking_id)
    assert (assigned["status"], assigned["mechanic_id"]) == ("mechanic_assigned", mechanic.mec_id)
    jobs = ok(await client.get("/bookings/mechanic/assignments", headers=mechanic.headers))
    assert [job["id"] for job in jobs] == [booking_id]
    other_mechanic = await person(runtime, client, Role.MECHANIC)
    other_jobs = await client.get("/bookings/mechanic/assignments", headers=other_mechanic.headers)
    assert ok(other_jobs) == []

    # 3. The mechanic estimates each item; the admin corrects one and approves.
    analysed = await analyse(client, shop, booking_id, ("1200", "3000"))
    assert analysed["status"] == "analysis_submitted"
    assert analysed["analysis"]["mechanic_id"] == mechanic.mec_id
    edited = ok(
        await client.put(
            f"/bookings/admin/analysis/{booking_id}",
            json={
                "items": [
                    {
                        "service_id": brakes.id,
                        "estimated_cost": 2800.5,
                        "estimated_time_minutes": 90,
                    }
                ]
            },
            headers=admin.headers,
        )
    )
    lines = {line["service_id"]: line for line in edited["services"]}
    assert lines[brakes.id]["estimated_cost"] == 2800.5
    assert lines[battery.id]["estimated_cost"] == 1200
    approved = await approve(client, shop, booking_id)
    assert approved["status"] == "analysis_approved" and approved["analysis"]["approved"]
    again = await client.post(
        f"/bookings/admin/analysis/{booking_id}/validate", headers=admin.headers
    )
    assert "analysis_approved" in assert_revcare_error(again, 409)["detail"]

    # 4. The customer declines the brakes and pays cash: only the battery check is charged.
    confirmed = await confirm(client, shop, booking_id, payment_mode="cod", declined=[brakes.id])
    assert confirmed["status"] == "services_confirmed" and confirmed["payment_mode"] == "cod"
    decisions = {line["service_id"]: line["decision"] for line in confirmed["services"]}
    assert decisions == {battery.id: "accepted", brakes.id: "declined"}
    assert (confirmed["subtotal"], confirmed["gst_amount"], confirmed["total"]) == (1200, 216, 1416)

    # 5. The mechanic reports progress; a declined item cannot be worked on.
    declined_work = await client.post(
        "/bookings/mechanic/progress",
        json={
            "booking_id": booking_id,
            "service_id": brakes.id,
            "status_id": shop.statuses["in-progress"].id,
            "notes": "",
        },
        headers=mechanic.headers,
    )
    assert_revcare_error(declined_work, 400)
    started = await report(client, shop, booking_id, battery.id, "in-progress")
    assert set(started) >= {"id", "booking_id", "status", "updated_by", "timestamp"}
    assert (started["booking_id"], started["status"]) == (booking_id, "in_progress")
    assert started["updated_by"] == mechanic.mec_id and not started["validated"]
    await validate(client, shop, started["id"])
    in_progress = ok(await client.get(f"/bookings/{booking_id}", headers=customer.headers))
    assert in_progress["status"] == "in_progress"
    cancel_late = await client.put(f"/bookings/{booking_id}/cancel", headers=customer.headers)
    assert "in_progress" in assert_revcare_error(cancel_late, 409)["detail"]

    done = await report(client, shop, booking_id, battery.id, "completed")
    edited_progress = ok(
        await client.put(
            f"/bookings/admin/progress/{done['id']}",
            json={"notes": "Battery at 96 % health"},
            headers=admin.headers,
        )
    )
    assert edited_progress["notes"] == "Battery at 96 % health"
    await validate(client, shop, done["id"])
    twice = await client.post(
        f"/bookings/admin/progress/{done['id']}/validate", headers=admin.headers
    )
    assert_revcare_error(twice, 409)
    completed = ok(await client.get(f"/bookings/{booking_id}", headers=customer.headers))
    assert completed["status"] == "completed"

    # 6. Cash on delivery: the customer reserves it, the mechanic confirms collection.
    reserved = ok(
        await client.post(f"/payment/cash-on-delivery/{booking_id}", headers=customer.headers)
    )
    assert reserved["payment"]["status"] == "reserved" and reserved["payment"]["amount"] == 1416
    collected = ok(
        await client.post(
            "/payment/verify-cod", json={"booking_id": booking_id}, headers=mechanic.headers
        )
    )
    assert collected["payment"]["status"] == "captured"
    assert collected["booking"]["status"] == "paid"
    assert collected["booking"]["payment_status"] == "captured"
    repeat = ok(
        await client.post(
            "/payment/verify-cod", json={"booking_id": booking_id}, headers=admin.headers
        )
    )
    assert repeat["payment"]["id"] == collected["payment"]["id"]

    # 7. The detail shows services, the whole timeline and the mechanic.
    detail = ok(await client.get(f"/bookings/{booking_id}", headers=customer.headers))
    steps = [e["status"] for e in detail["timeline"] if e["from_status"] != e["status"]]
    assert steps == [
        "created",
        "mechanic_assigned",
        "analysis_submitted",
        "analysis_approved",
        "services_confirmed",
        "in_progress",
        "completed",
        "paid",
    ]
    assert [m["id"] for m in detail["mechanics"]] == [mechanic.mec_id]
    assert [p["status"] for p in detail["progress"]] == ["in_progress", "completed"]
    assert all(p["validated"] for p in detail["progress"])

    # 8. Every transition was announced: in-app and email, readable in the logs.
    await runtime.outbox.drain()
    logs = ok(
        await client.get(
            "/notification/notifications/logs",
            params={"notification_category": "booking", "limit": 100},
            headers=customer.headers,
        )
    )
    in_app = [n for n in logs if n["channel"] == "in_app" and "item_status" not in n["data"]]
    assert sorted(n["data"]["status"] for n in in_app) == sorted(steps)
    # Each validated item update was told too (in progress, then done).
    items = [n for n in logs if n["channel"] == "in_app" and "item_status" in n["data"]]
    assert [n["data"]["item_status"] for n in reversed(items)] == ["in_progress", "completed"]
    assert {n["channel"] for n in logs} == {"in_app", "email"}
    assert all(n["delivery_status"] in ("delivered", "logged") for n in logs)
    limited = ok(
        await client.get(
            "/notification/notifications/logs", params={"limit": 2}, headers=customer.headers
        )
    )
    assert len(limited) == 2
    mechanic_logs = ok(
        await client.get("/notification/notifications/logs", headers=mechanic.headers)
    )
    assert {n["notification_category"] for n in mechanic_logs} == {"assignment"}
    everyone = ok(
        await client.get(
            "/notification/notifications/logs", params={"limit": 200}, headers=admin.headers
        )
    )
    assert len(everyone) == len(logs) + len(mechanic_logs)

    # 9. The dashboard counts it as paid.
    board = ok(await client.get("/bookings/admin/dashboard", headers=admin.headers))
    assert board["by_status"]["paid"] == 1 and board["total"] == 1
