"""Issue 16's additions one rule at a time, over HTTP as the customer, the mechanic and the
admin: 401 without a token, 403 for the wrong role, 404 for someone else's, 422 for bad
input, and the happy path."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import httpx

from evcare.core.clock import clock, utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.bookings import (
    Workshop,
    analyse,
    approve,
    assign,
    book,
    completed_booking,
    confirm,
    make_workshop,
    ok,
    person,
    report,
    validate,
)
from tests.factories.service import make_service, make_timeslot
from tests.factories.wallet import balance_minor, fund
from tests.surfaces.revcare.helpers import assert_revcare_error


async def _set_zone(client: httpx.AsyncClient, shop: Workshop, zone: str) -> Any:
    return ok(
        await client.put("/utils/time-zone", json={"time_zone": zone}, headers=shop.admin.headers)
    )


# -- scheduling guard rails -------------------------------------------------------------------


async def test_slots_are_shown_and_taken_in_the_workshops_time_zone_and_begun_ones_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    body = {"time_zone": "UTC"}
    assert_revcare_error(await client.put("/utils/time-zone", json=body), 401)
    assert_revcare_error(
        await client.put("/utils/time-zone", json=body, headers=shop.customer.headers), 403
    )
    bad = await client.put(
        "/utils/time-zone", json={"time_zone": "Mars/Olympus"}, headers=shop.admin.headers
    )
    assert "time_zone" in str(assert_revcare_error(bad, 422)["detail"])
    assert ok(await client.get("/utils/time-zone"))["time_zone"] == "Asia/Kolkata"

    assert (await _set_zone(client, shop, "UTC"))["utc_offset"] == "+00:00"
    midnight = await make_timeslot(runtime, start=time(0, 0), end=time(0, 30))
    today = utcnow().date().isoformat()
    begun = await client.post(
        "/bookings/",
        json=shop.booking_body(timeslot_id=midnight.id, service_date=today),
        headers=shop.customer.headers,
    )
    assert "began" in assert_revcare_error(begun, 400)["detail"]
    slots = {s["id"]: s for s in ok(await client.get("/utils/timeslot", params={"date": today}))}
    assert slots[midnight.id]["begun"] is True
    assert slots[midnight.id]["starts_at"] == f"{today}T00:00:00Z"
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    later = await book(client, shop, timeslot_id=midnight.id, service_date=tomorrow)
    assert later["slot_starts_at"] == f"{tomorrow}T00:00:00Z"

    await _set_zone(client, shop, "Asia/Kolkata")
    shown = ok(await client.get("/utils/timeslot", params={"date": shop.day}))
    morning = next(s for s in shown if s["id"] == shop.timeslot.id)
    assert morning["starts_at"] == f"{shop.day}T14:30:00+05:30" and not morning["begun"]


async def test_a_mechanic_is_never_assigned_past_their_jobs_per_slot(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    mec = shop.mechanic.mec_id
    too_few = await client.put(
        f"/mechanics/{mec}", json={"jobs_per_slot": 0}, headers=shop.admin.headers
    )
    assert_revcare_error(too_few, 422)
    one = ok(
        await client.put(f"/mechanics/{mec}", json={"jobs_per_slot": 1}, headers=shop.admin.headers)
    )
    assert one["jobs_per_slot"] == 1
    first, second = (await book(client, shop))["id"], (await book(client, shop))["id"]
    await assign(client, shop, first)
    over = await client.post(
        "/bookings/admin/assign",
        json={"booking_id": second, "mechanic_id": mec},
        headers=shop.admin.headers,
    )
    assert f"Mechanic {mec} already has 1 of 1" in assert_revcare_error(over, 409)["detail"]
    # Another day is another slot: the second booking moves, then the mechanic takes it.
    moved = _day_after(shop.day)
    ok(
        await client.put(
            f"/bookings/{second}/reschedule",
            json={"timeslot_id": shop.timeslot.id, "service_date": moved},
            headers=shop.customer.headers,
        )
    )
    assert (await assign(client, shop, second))["status"] == "mechanic_assigned"
    # ...and it cannot be moved back into the slot where the mechanic is full.
    back = await client.put(
        f"/bookings/{second}/reschedule",
        json={"timeslot_id": shop.timeslot.id, "service_date": shop.day},
        headers=shop.customer.headers,
    )
    assert_revcare_error(back, 409)


def _day_after(day: str) -> str:
    from datetime import date

    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


# -- rescheduling -------------------------------------------------------------------------------


async def test_rescheduling_is_free_before_assignment_and_refused_once_work_started(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    booking_id = (await book(client, shop))["id"]
    other = await make_timeslot(runtime, start=time(12, 0), end=time(13, 0), capacity=1)
    path = f"/bookings/{booking_id}/reschedule"
    body = {"timeslot_id": other.id}
    assert_revcare_error(await client.put(path, json=body), 401)
    stranger = await person(runtime, client, Role.USER)
    assert_revcare_error(await client.put(path, json=body, headers=stranger.headers), 404)
    assert_revcare_error(await client.put(path, json=body, headers=shop.mechanic.headers), 404)
    for bad in ({"timeslot_id": "noon"}, {"timeslot_id": other.id, "service_date": "tomorrow"}):
        assert_revcare_error(await client.put(path, json=bad, headers=shop.customer.headers), 422)
    same = await client.put(
        path, json={"timeslot_id": shop.timeslot.id}, headers=shop.customer.headers
    )
    assert_revcare_error(same, 400)

    moved = ok(await client.put(path, json=body, headers=shop.customer.headers))
    assert (moved["timeslot_id"], moved["fees"], moved["cancellation_fee"]) == (other.id, [], 0)
    # The slot it left is free again; the one it took is full now.
    rival = await book(client, shop)
    full = await client.put(
        f"/bookings/{rival['id']}/reschedule", json=body, headers=shop.customer.headers
    )
    assert "full" in assert_revcare_error(full, 409)["detail"]
    # An admin may move it too; the timeline says from where to where, by whom.
    ok(await client.put(path, json={"timeslot_id": shop.timeslot.id}, headers=shop.admin.headers))
    detail = ok(await client.get(f"/bookings/{booking_id}", headers=shop.customer.headers))
    notes = [(e["actor_role"], e["note"]) for e in detail["timeline"] if "rescheduled" in e["note"]]
    assert [role for role, _ in notes] == ["customer", "admin"]

    await assign(client, shop, booking_id)
    await analyse(client, shop, booking_id, ("1000", "2000"))
    await approve(client, shop, booking_id)
    await confirm(client, shop, booking_id)
    await report(client, shop, booking_id, shop.services[0].id, "in-progress")
    late = await client.put(path, json=body, headers=shop.customer.headers)
    assert "in_progress" in assert_revcare_error(late, 409)["detail"]


async def test_a_cancellation_fee_is_taken_from_the_wallet_when_it_covers_it(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    await fund(runtime, shop.customer.user, 100_000)
    booking_id = (await book(client, shop))["id"]
    await assign(client, shop, booking_id)
    cancelled = ok(
        await client.put(f"/bookings/{booking_id}/cancel", headers=shop.customer.headers)
    )
    # 10 % of 3,500.50 = 350.05 plus 18 % GST 63.01.
    assert (cancelled["cancellation_fee"], cancelled["cancellation_fee_gst"]) == (413.06, 63.01)
    assert await balance_minor(runtime, shop.customer.user) == 100_000 - 41_306
    # Nothing is left to add to the next payment.
    detail = await completed_booking(client, shop, payment_mode="cod")
    reserved = ok(
        await client.post(
            f"/payment/cash-on-delivery/{detail['id']}", headers=shop.customer.headers
        )
    )
    assert reserved["booking"]["fees"] == [] and reserved["payment"]["amount"] == 3540


async def test_without_a_wallet_the_fee_is_added_to_the_next_payment_and_released_on_cancel(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client, capacity=5)
    first = (await book(client, shop))["id"]
    await assign(client, shop, first)
    ok(await client.put(f"/bookings/{first}/cancel", headers=shop.customer.headers))
    # Carried to a booking whose payment opens, then released when that one is cancelled.
    second = (await book(client, shop))["id"]
    await assign(client, shop, second)
    await analyse(client, shop, second, ("1000", "2000"))
    await approve(client, shop, second)
    await confirm(client, shop, second)
    held = ok(
        await client.post(f"/payment/cash-on-delivery/{second}", headers=shop.customer.headers)
    )
    assert [(f["booking_id"], f["amount"]) for f in held["booking"]["fees"]] == [(first, 413.06)]
    ok(await client.put(f"/bookings/{second}/cancel", headers=shop.customer.headers))
    # The next payment takes both fees; online checkout charges them too.
    third = await completed_booking(client, shop, payment_mode="online")
    order = ok(
        await client.post(f"/payment/razorpay/order/{third['id']}", headers=shop.customer.headers)
    )
    assert sorted(f["booking_id"] for f in order["booking"]["fees"]) == [first, second]
    assert order["payment"]["amount"] == order["booking"]["total"]
    total, fees = order["booking"]["total"], order["booking"]["fees_total"]
    assert round(total * 100) == 354_000 + round(fees * 100) == 354_000 + 41_306 + 35_400


# -- found work -----------------------------------------------------------------------------------


async def test_found_work_is_the_assigned_mechanics_and_decided_once_by_the_customer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    extra = await make_service(runtime, name="Cabin filter", price_minor=30_000)
    booking_id = (await book(client, shop))["id"]
    line = {"service_id": extra.id, "estimated_cost": "300", "estimated_time_minutes": 15}
    body = {"booking_id": booking_id, "items": [line]}
    url = "/bookings/mechanic/found-work"
    assert_revcare_error(await client.post(url, json=body), 401)
    assert_revcare_error(await client.post(url, json=body, headers=shop.customer.headers), 403)
    # Not assigned yet: no job of the mechanic's.
    assert_revcare_error(await client.post(url, json=body, headers=shop.mechanic.headers), 404)
    await assign(client, shop, booking_id)
    other = await person(runtime, client, Role.MECHANIC)
    assert_revcare_error(await client.post(url, json=body, headers=other.headers), 404)
    for bad in (
        {"booking_id": booking_id, "items": []},
        {"booking_id": booking_id, "items": [{**line, "estimated_cost": "-1"}]},
        {"booking_id": booking_id, "items": [{**line, "parts": [{"name": "", "unit_price": 1}]}]},
    ):
        assert_revcare_error(await client.post(url, json=bad, headers=shop.mechanic.headers), 422)
    booked = {**line, "service_id": shop.services[0].id}
    again = await client.post(
        url, json={"booking_id": booking_id, "items": [booked]}, headers=shop.mechanic.headers
    )
    assert_revcare_error(again, 409)
    added = ok(await client.post(url, json=body, headers=shop.mechanic.headers), 201)
    assert added["awaiting_approval"] == [extra.id]

    decide = f"/bookings/{booking_id}/found-work"
    yes = {"decisions": [{"service_id": extra.id, "decision": "approve"}]}
    assert_revcare_error(await client.put(decide, json=yes), 401)
    stranger = await person(runtime, client, Role.USER)
    assert_revcare_error(await client.put(decide, json=yes, headers=stranger.headers), 404)
    maybe = {"decisions": [{"service_id": extra.id, "decision": "maybe"}]}
    assert_revcare_error(await client.put(decide, json=maybe, headers=shop.customer.headers), 422)
    unknown = {"decisions": [{"service_id": shop.services[0].id, "decision": "approve"}]}
    assert_revcare_error(await client.put(decide, json=unknown, headers=shop.customer.headers), 404)
    decided = ok(await client.put(decide, json=yes, headers=shop.customer.headers))
    lines = {line["service_id"]: line for line in decided["services"]}
    assert lines[extra.id]["decision"] == "accepted" and lines[extra.id]["amount"] == 300
    twice = await client.put(decide, json=yes, headers=shop.customer.headers)
    assert "already accepted" in assert_revcare_error(twice, 409)["detail"]
    # The analysis estimates the booked services only; the found line keeps its price,
    # and the customer's confirmation keeps the decision already made.
    await analyse(client, shop, booking_id, ("1000", "2000"))
    await approve(client, shop, booking_id)
    confirmed = await confirm(client, shop, booking_id)
    assert confirmed["subtotal"] == 3300 and confirmed["total"] == 3894


# -- no orphans ---------------------------------------------------------------------------------


async def test_a_car_on_an_open_booking_cannot_be_deleted_on_either_surface(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    booking_id = (await book(client, shop))["id"]
    refused = await client.delete(f"/car/{shop.vehicle_id}", headers=shop.customer.headers)
    assert f"open booking {booking_id}" in assert_revcare_error(refused, 409)["detail"]
    cms = await client.delete(
        f"/api/v1/profile/vehicles/{shop.vehicle_id}", headers=shop.customer.headers
    )
    assert cms.status_code == 409 and f"booking {booking_id}" in cms.json()["message"]
    ok(await client.put(f"/bookings/{booking_id}/cancel", headers=shop.customer.headers))
    assert (
        await client.delete(f"/car/{shop.vehicle_id}", headers=shop.customer.headers)
    ).status_code == 200


async def test_deleting_an_account_cancels_its_open_bookings_and_frees_their_slots(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client, capacity=2)
    assigned = (await book(client, shop))["id"]
    await assign(client, shop, assigned)
    waiting = (await book(client, shop))["id"]
    slots = ok(await client.get("/utils/timeslot", params={"date": shop.day}))
    assert next(s for s in slots if s["id"] == shop.timeslot.id)["available"] == 0
    ok(await client.delete(f"/customers/{shop.customer.cst_id}", headers=shop.admin.headers))
    board = ok(
        await client.get(
            "/bookings/admin/dashboard",
            params={"customer_id": shop.customer.cst_id},
            headers=shop.admin.headers,
        )
    )
    by_id = {b["id"]: b for b in board["bookings"]}
    assert {by_id[assigned]["status"], by_id[waiting]["status"]} == {"cancelled"}
    assert by_id[assigned]["cancellation_fee"] == 413.06 and by_id[waiting]["cancellation_fee"] == 0
    slots = ok(await client.get("/utils/timeslot", params={"date": shop.day}))
    assert next(s for s in slots if s["id"] == shop.timeslot.id)["available"] == 2


# -- customers, receipts, status links, timeline, spelling ------------------------------------


async def test_admins_list_customers_paginated_and_searchable(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    second = await person(runtime, client, Role.USER)
    assert_revcare_error(await client.get("/customers/"), 401)
    listed = ok(await client.get("/customers/", params={"limit": 100}, headers=shop.admin.headers))
    ids = [c["id"] for c in listed]
    assert {shop.customer.cst_id, second.cst_id} <= set(ids)
    assert all(i.startswith("CST") for i in ids)
    page = ok(await client.get("/customers/", params={"limit": 1}, headers=shop.admin.headers))
    assert len(page) == 1
    found = ok(
        await client.get(
            "/customers/", params={"search": second.user.email}, headers=shop.admin.headers
        )
    )
    assert [c["id"] for c in found] == [second.cst_id]
    assert_revcare_error(
        await client.get("/customers/", params={"limit": 0}, headers=shop.admin.headers), 422
    )
    # A customer still gets themselves, not a list; a mechanic is not a customer.
    me = ok(await client.get("/customers/", headers=shop.customer.headers))
    assert me["id"] == shop.customer.cst_id
    assert_revcare_error(await client.get("/customers/", headers=shop.mechanic.headers), 404)


async def test_a_receipt_exists_once_paid_and_only_for_its_customer_and_admins(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    detail = await completed_booking(client, shop, payment_mode="cod")
    url = f"/bookings/{detail['id']}/receipt"
    assert_revcare_error(await client.get(url), 401)
    assert (
        "once paid"
        in assert_revcare_error(await client.get(url, headers=shop.customer.headers), 404)["detail"]
    )
    ok(
        await client.post(
            f"/payment/cash-on-delivery/{detail['id']}", headers=shop.customer.headers
        )
    )
    ok(
        await client.post(
            "/payment/verify-cod", json={"booking_id": detail["id"]}, headers=shop.admin.headers
        )
    )
    mine = ok(await client.get(url, headers=shop.customer.headers))
    assert (mine["total"], mine["subtotal"], mine["gst_amount"]) == (3540, 3000, 540)
    assert ok(await client.get(url, headers=shop.admin.headers))["invoice_id"] == mine["invoice_id"]
    assert_revcare_error(await client.get(url, headers=shop.mechanic.headers), 404)
    stranger = await person(runtime, client, Role.USER)
    assert_revcare_error(await client.get(url, headers=stranger.headers), 404)
    assert_revcare_error(
        await client.get(url, params={"format": "xml"}, headers=shop.customer.headers), 422
    )


async def test_the_status_link_is_signed_expiring_and_revocable(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    booking_id = (await book(client, shop))["id"]
    link = ok(await client.get(f"/bookings/{booking_id}", headers=shop.customer.headers))[
        "status_link"
    ]
    assert ok(await client.get(link["path"]))["status"] == "created"
    tampered = link["path"][:-3] + ("abc" if not link["path"].endswith("abc") else "xyz")
    assert_revcare_error(await client.get(tampered), 404)
    assert_revcare_error(await client.get("/bookings/status/not-a-token-at-all"), 404)

    renew = f"/bookings/{booking_id}/status-link"
    assert_revcare_error(await client.post(renew), 401)
    stranger = await person(runtime, client, Role.USER)
    assert_revcare_error(await client.post(renew, headers=stranger.headers), 404)
    fresh = ok(await client.post(renew, headers=shop.customer.headers))
    assert_revcare_error(await client.get(link["path"]), 404)  # the old one is revoked
    assert ok(await client.get(fresh["path"]))["booking_id"] == booking_id

    assert_revcare_error(await client.delete(renew, headers=stranger.headers), 404)
    ok(await client.delete(renew, headers=shop.admin.headers))
    assert_revcare_error(await client.get(fresh["path"]), 404)

    last = ok(await client.post(renew, headers=shop.admin.headers))
    assert ok(await client.get(last["path"]))["status"] == "created"
    clock.freeze()
    clock.advance(timedelta(days=40))
    assert_revcare_error(await client.get(last["path"]), 404)


async def test_a_validation_that_changes_nothing_adds_no_timeline_entry(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    booking_id = (await book(client, shop))["id"]
    await assign(client, shop, booking_id)
    battery = shop.services[0].id
    first = await report(client, shop, booking_id, battery, "vehicle-picked-up")
    again = await report(client, shop, booking_id, battery, "vehicle-picked-up")
    await validate(client, shop, first["id"])
    before = ok(await client.get(f"/bookings/{booking_id}", headers=shop.admin.headers))
    await validate(client, shop, again["id"])
    after = ok(await client.get(f"/bookings/{booking_id}", headers=shop.admin.headers))
    assert len(after["timeline"]) == len(before["timeline"])
    entry = next(e for e in after["timeline"] if "Vehicle picked up" in e["note"])
    assert (entry["actor"], entry["actor_role"]) == (f"ADM{shop.admin.user.id:06d}", "admin")


async def test_one_status_spelling_is_shown_and_either_is_accepted(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    booking_id = (await book(client, shop))["id"]
    await assign(client, shop, booking_id)
    await analyse(client, shop, booking_id, ("1000", "2000"))
    await approve(client, shop, booking_id)
    await confirm(client, shop, booking_id)
    started = await report(client, shop, booking_id, shop.services[0].id, "in-progress")
    assert started["status"] == "in_progress"
    for spelling in ("in_progress", "in-progress"):
        found = ok(
            await client.get(
                "/bookings/customer", params={"status": spelling}, headers=shop.customer.headers
            )
        )
        assert [b["id"] for b in found] == [booking_id]
    statuses = {s["code"] for s in ok(await client.get("/utils/status"))}
    assert "in_progress" in statuses and not any("-" in code for code in statuses)


async def test_pickup_details_are_the_assigned_mechanics_only_while_the_job_is_theirs(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    booking_id = (await book(client, shop))["id"]
    await assign(client, shop, booking_id)
    assert ok(await client.get(f"/bookings/{booking_id}", headers=shop.mechanic.headers))["pickup"]
    other = await person(runtime, client, Role.MECHANIC)
    assert_revcare_error(await client.get(f"/bookings/{booking_id}", headers=other.headers), 404)
    ok(
        await client.post(
            "/bookings/admin/assign",
            json={"booking_id": booking_id, "mechanic_id": other.mec_id},
            headers=shop.admin.headers,
        )
    )
    assert_revcare_error(
        await client.get(f"/bookings/{booking_id}", headers=shop.mechanic.headers), 404
    )
    job = ok(await client.get(f"/bookings/{booking_id}", headers=other.headers))
    assert job["pickup"]["customer"]["id"] == shop.customer.cst_id
