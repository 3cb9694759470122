"""RevCare /bookings/: who may do what, bad input, out-of-order steps, capacity, fees."""

from __future__ import annotations

import asyncio
from datetime import date, time, timedelta

import httpx

from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.service import booking_facts
from tests.factories.bookings import (
    analyse,
    approve,
    assign,
    book,
    completed_booking,
    confirm,
    make_address,
    make_workshop,
    ok,
    person,
)
from tests.factories.service import make_service, make_timeslot
from tests.factories.vehicles import make_vehicle
from tests.surfaces.revcare.helpers import assert_revcare_error


def _routes(booking_id: int) -> list[tuple[str, str, object]]:
    progress = {"booking_id": booking_id, "service_id": 1, "status_id": 1, "notes": ""}
    analysis = {
        "booking_id": booking_id,
        "items": [{"service_id": 1, "estimated_cost": 1, "estimated_time_minutes": 1}],
    }
    return [
        (
            "POST",
            "/bookings/",
            {
                "vehicle_id": 1,
                "pickup_type": "doorstep",
                "timeslot_id": 1,
                "services": [{"service_id": 1}],
            },
        ),
        ("GET", "/bookings/customer", None),
        ("GET", f"/bookings/{booking_id}", None),
        ("PUT", f"/bookings/{booking_id}/confirm-services", {"payment_mode": "cod"}),
        ("PUT", f"/bookings/{booking_id}/cancel", None),
        ("GET", "/bookings/admin/dashboard", None),
        ("POST", "/bookings/admin/assign", {"booking_id": booking_id, "mechanic_id": "MEC000001"}),
        ("PUT", "/bookings/admin/progress/1", {"notes": "x"}),
        ("POST", "/bookings/admin/progress/1/validate", None),
        ("PUT", f"/bookings/admin/analysis/{booking_id}", {"summary": "x"}),
        ("POST", f"/bookings/admin/analysis/{booking_id}/validate", None),
        ("GET", "/bookings/mechanic/assignments", None),
        ("POST", "/bookings/mechanic/analysis", analysis),
        ("POST", "/bookings/mechanic/progress", progress),
        ("GET", "/notification/notifications/logs", None),
    ]


async def test_every_booking_route_refuses_anonymous_callers(client: httpx.AsyncClient) -> None:
    for method, path, body in _routes(1):
        response = await client.request(method, path, json=body)
        assert assert_revcare_error(response, 401)["message"] == "Unauthorized", path


async def test_admin_and_mechanic_routes_refuse_the_wrong_role_naming_the_scope(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    booking_id = (await book(client, shop))["id"]
    routes = _routes(booking_id)
    admin_routes = [r for r in routes if r[1].startswith("/bookings/admin")]
    mechanic_routes = [r for r in routes if r[1].startswith("/bookings/mechanic")]
    for who in (shop.customer, shop.mechanic):
        for method, path, body in admin_routes:
            refused = await client.request(method, path, json=body, headers=who.headers)
            assert assert_revcare_error(refused, 403)["detail"] == "MANAGE:BOOKINGS scope required"
    for method, path, body in mechanic_routes:
        refused = await client.request(method, path, json=body, headers=shop.customer.headers)
        assert assert_revcare_error(refused, 403)["detail"] == "WORK:BOOKINGS scope required"


async def test_a_customer_never_sees_or_touches_another_customers_booking(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    booking_id = (await book(client, shop))["id"]
    stranger = await person(runtime, client, Role.USER)
    headers = stranger.headers
    assert_revcare_error(await client.get(f"/bookings/{booking_id}", headers=headers), 404)
    confirm_other = await client.put(
        f"/bookings/{booking_id}/confirm-services", json={"payment_mode": "cod"}, headers=headers
    )
    assert_revcare_error(confirm_other, 404)
    assert_revcare_error(await client.put(f"/bookings/{booking_id}/cancel", headers=headers), 404)
    assert ok(await client.get("/bookings/customer", headers=headers)) == []
    peek = await client.get(
        "/bookings/customer", params={"customer_id": shop.customer.cst_id}, headers=headers
    )
    assert_revcare_error(peek, 404)
    as_admin = await client.get(
        "/bookings/customer",
        params={"customer_id": shop.customer.cst_id},
        headers=shop.admin.headers,
    )
    assert [b["id"] for b in ok(as_admin)] == [booking_id]
    await runtime.outbox.drain()
    theirs = ok(await client.get("/notification/notifications/logs", headers=headers))
    assert theirs == []


async def test_a_mechanic_reaches_only_the_bookings_assigned_to_them(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    booking_id = (await book(client, shop))["id"]
    await assign(client, shop, booking_id)
    other = await person(runtime, client, Role.MECHANIC)
    assert_revcare_error(await client.get(f"/bookings/{booking_id}", headers=other.headers), 404)
    body = {
        "booking_id": booking_id,
        "items": [
            {"service_id": s.id, "estimated_cost": 10, "estimated_time_minutes": 5}
            for s in shop.services
        ],
    }
    refused = await client.post("/bookings/mechanic/analysis", json=body, headers=other.headers)
    assert_revcare_error(refused, 404)
    progress = {
        "booking_id": booking_id,
        "service_id": shop.services[0].id,
        "status_id": shop.statuses["in-progress"].id,
    }
    refused = await client.post("/bookings/mechanic/progress", json=progress, headers=other.headers)
    assert_revcare_error(refused, 404)
    assert ok(await client.get(f"/bookings/{booking_id}", headers=shop.mechanic.headers))


async def test_bad_booking_input_is_a_422_in_revcare_shape_naming_the_field(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    headers = shop.customer.headers
    cases = {
        "pickup_type": shop.booking_body(pickup_type="teleport"),
        "services": shop.booking_body(services=[]),
        "quantity": shop.booking_body(services=[{"service_id": 1, "quantity": 0}]),
        "vehicle_id": shop.booking_body(vehicle_id="eighty-eight"),
        "notes": shop.booking_body(notes="x" * 1001),
        "surprise": shop.booking_body(surprise=True),
    }
    for name, body in cases.items():
        response = await client.post("/bookings/", json=body, headers=headers)
        detail = assert_revcare_error(response, 422)["detail"]
        assert name in str(detail), (name, detail)
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    past = await client.post(
        "/bookings/", json=shop.booking_body(service_date=yesterday), headers=headers
    )
    assert "service_date" in assert_revcare_error(past, 422)["detail"]
    twice = [{"service_id": shop.services[0].id}, {"service_id": shop.services[0].id}]
    dup = await client.post("/bookings/", json=shop.booking_body(services=twice), headers=headers)
    assert "services" in assert_revcare_error(dup, 422)["detail"]
    assert_revcare_error(await client.get("/bookings/0", headers=headers), 404)
    bad_status = await client.get("/bookings/customer", params={"status": "x"}, headers=headers)
    assert_revcare_error(bad_status, 422)
    bad_mode = await client.put(
        "/bookings/1/confirm-services", json={"payment_mode": "barter"}, headers=headers
    )
    assert "payment_mode" in str(assert_revcare_error(bad_mode, 422)["detail"])
    bad_limit = await client.get(
        "/notification/notifications/logs", params={"limit": 0}, headers=headers
    )
    assert_revcare_error(bad_limit, 422)


async def test_unknown_or_foreign_references_in_a_booking_are_not_found(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    headers = shop.customer.headers
    stranger = await person(runtime, client, Role.USER)
    their_car = await make_vehicle(runtime, stranger.user)
    inactive = await make_service(runtime, is_active=False)
    for body, what in (
        (shop.booking_body(vehicle_id=their_car.id), "Vehicle"),
        (shop.booking_body(timeslot_id=999_999), "Timeslot"),
        (shop.booking_body(services=[{"service_id": inactive.id}]), "Service"),
        (shop.booking_body(address_id=999_999), "Address"),
    ):
        response = await client.post("/bookings/", json=body, headers=headers)
        assert assert_revcare_error(response, 404)["detail"].startswith(what)


async def test_only_admins_book_for_another_customer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    stranger = await person(runtime, client, Role.USER)
    body = shop.booking_body(customer_id=stranger.cst_id)
    refused = await client.post("/bookings/", json=body, headers=shop.customer.headers)
    assert_revcare_error(refused, 403)
    wrong_car = await client.post("/bookings/", json=body, headers=shop.admin.headers)
    assert_revcare_error(wrong_car, 404)
    for_customer = await client.post(
        "/bookings/", json=shop.booking_body(), headers=shop.admin.headers
    )
    assert ok(for_customer, 201)["customer_id"] == shop.customer.cst_id


async def test_doorstep_pickup_needs_an_address_in_a_serviceable_area(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    far = await make_address(runtime, shop.customer.user, pincode="110001")
    refused = await client.post(
        "/bookings/", json=shop.booking_body(address_id=far.id), headers=shop.customer.headers
    )
    assert "110001" in assert_revcare_error(refused, 400)["detail"]
    drop_off = await client.post(
        "/bookings/",
        json=shop.booking_body(pickup_type="drop-off", address_id=far.id),
        headers=shop.customer.headers,
    )
    assert ok(drop_off, 201)["pickup_type"] == "drop_off"
    homeless = await person(runtime, client, Role.USER)
    car = await make_vehicle(runtime, homeless.user)
    body = shop.booking_body(customer_id=None, vehicle_id=car.id)
    no_address = await client.post("/bookings/", json=body, headers=homeless.headers)
    assert "address" in assert_revcare_error(no_address, 400)["detail"]


async def test_a_full_timeslot_is_refused_with_a_409_until_a_place_frees_up(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client, capacity=1)
    first = await book(client, shop)
    full = await client.post("/bookings/", json=shop.booking_body(), headers=shop.customer.headers)
    detail = assert_revcare_error(full, 409)["detail"]
    assert f"Timeslot {shop.timeslot.id}" in detail and "full" in detail
    tomorrow = _day_after(shop.day)
    await book(client, shop, service_date=tomorrow)
    other_slot = await make_timeslot(runtime, start=time(12, 0), end=time(14, 0), capacity=1)
    await book(client, shop, timeslot_id=other_slot.id)
    counts = await _slot_counts(runtime, shop.day, shop.timeslot.id, other_slot.id)
    assert counts == {shop.timeslot.id: 1, other_slot.id: 1}

    ok(await client.put(f"/bookings/{first['id']}/cancel", headers=shop.customer.headers))
    await book(client, shop)


async def test_bookings_racing_for_the_last_place_fill_it_exactly_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client, capacity=2)
    body = shop.booking_body()
    responses = await asyncio.gather(
        *[client.post("/bookings/", json=body, headers=shop.customer.headers) for _ in range(5)]
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201, 201, 409, 409, 409], [r.text for r in responses]
    assert (await _slot_counts(runtime, shop.day, shop.timeslot.id)) == {shop.timeslot.id: 2}


def _day_after(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


async def _slot_counts(runtime: Runtime, day: str, *slots: int) -> dict[int, int]:
    async with runtime.sessionmaker() as session:
        return await booking_facts.bookings_per_timeslot(
            session, service_date=date.fromisoformat(day), timeslot_ids=list(slots)
        )


async def test_cancelling_is_free_before_assignment_then_costs_the_fee_then_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    free = await book(client, shop)
    cancelled = ok(
        await client.put(
            f"/bookings/{free['id']}/cancel",
            json={"reason": "plans changed"},
            headers=shop.customer.headers,
        )
    )
    assert (cancelled["status"], cancelled["cancellation_fee"]) == ("cancelled", 0)
    again = await client.put(f"/bookings/{free['id']}/cancel", headers=shop.customer.headers)
    assert "cancelled" in assert_revcare_error(again, 409)["detail"]

    charged = await book(client, shop)
    await assign(client, shop, charged["id"])
    fee = ok(await client.put(f"/bookings/{charged['id']}/cancel", headers=shop.admin.headers))
    # 10 % of the net 3500.50 = 350.05, plus 18 % GST on the fee (63.01): 413.06.
    assert (fee["cancellation_fee"], fee["cancellation_fee_gst"]) == (413.06, 63.01)
    assert fee["status"] == "cancelled"


async def test_steps_out_of_order_are_refused_with_a_409_naming_the_current_state(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    booking_id = (await book(client, shop))["id"]
    approve_early = await client.post(
        f"/bookings/admin/analysis/{booking_id}/validate", headers=shop.admin.headers
    )
    assert assert_revcare_error(approve_early, 409)["detail"] == (
        f"Booking {booking_id} is created: cannot approve the analysis"
    )
    await assign(client, shop, booking_id)
    await analyse(client, shop, booking_id, ("100", "200"))
    reassign = await client.post(
        "/bookings/admin/assign",
        json={"booking_id": booking_id, "mechanic_id": shop.mechanic.mec_id},
        headers=shop.admin.headers,
    )
    assert "analysis_submitted" in assert_revcare_error(reassign, 409)["detail"]
    await approve(client, shop, booking_id)
    edit_late = await client.put(
        f"/bookings/admin/analysis/{booking_id}", json={"summary": "x"}, headers=shop.admin.headers
    )
    assert "analysis_approved" in assert_revcare_error(edit_late, 409)["detail"]
    progress = {
        "booking_id": booking_id,
        "service_id": shop.services[0].id,
        "status_id": shop.statuses["in-progress"].id,
    }
    early_work = await client.post(
        "/bookings/mechanic/progress", json=progress, headers=shop.mechanic.headers
    )
    assert "analysis_approved" in assert_revcare_error(early_work, 409)["detail"]
    decline_all = await client.put(
        f"/bookings/{booking_id}/confirm-services",
        json={"payment_mode": "online", "declined_service_ids": [s.id for s in shop.services]},
        headers=shop.customer.headers,
    )
    assert_revcare_error(decline_all, 400)
    await confirm(client, shop, booking_id)


async def test_analysis_must_estimate_every_service_on_the_booking(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    booking_id = (await book(client, shop))["id"]
    await assign(client, shop, booking_id)
    partial = {
        "booking_id": booking_id,
        "items": [
            {"service_id": shop.services[0].id, "estimated_cost": 10, "estimated_time_minutes": 5}
        ],
    }
    response = await client.post(
        "/bookings/mechanic/analysis", json=partial, headers=shop.mechanic.headers
    )
    assert "items" in assert_revcare_error(response, 422)["detail"]
    negative = {**partial, "items": [{**partial["items"][0], "estimated_cost": -1}]}  # type: ignore[dict-item]
    response = await client.post(
        "/bookings/mechanic/analysis", json=negative, headers=shop.mechanic.headers
    )
    assert_revcare_error(response, 422)


async def test_the_dashboard_counts_by_status_under_its_filters(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    first = await book(client, shop)
    await book(client, shop)
    await assign(client, shop, first["id"])
    board = ok(await client.get("/bookings/admin/dashboard", headers=shop.admin.headers))
    assert board["by_status"]["created"] == 1 and board["by_status"]["mechanic_assigned"] == 1
    assert board["total"] == 2 and len(board["bookings"]) == 2
    only = ok(
        await client.get(
            "/bookings/admin/dashboard",
            params={"status": "mechanic_assigned", "mechanic_id": shop.mechanic.mec_id},
            headers=shop.admin.headers,
        )
    )
    assert [b["id"] for b in only["bookings"]] == [first["id"]]
    tomorrow = _day_after(shop.day)
    later = ok(
        await client.get(
            "/bookings/admin/dashboard", params={"from_date": tomorrow}, headers=shop.admin.headers
        )
    )
    assert later["total"] == 0 and sum(later["by_status"].values()) == 0
    today = shop.day
    backwards = await client.get(
        "/bookings/admin/dashboard",
        params={"from_date": tomorrow, "to_date": today},
        headers=shop.admin.headers,
    )
    assert_revcare_error(backwards, 422)


async def test_a_completed_service_counts_for_reviews_only_when_accepted(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    battery, _ = shop.services
    async with runtime.sessionmaker() as session:
        before = await booking_facts.customer_completed_service(
            session, user_id=shop.customer.user.id, service_id=battery.id
        )
    assert before is False
    await completed_booking(client, shop)
    async with runtime.sessionmaker() as session:
        after = await booking_facts.customer_completed_service(
            session, user_id=shop.customer.user.id, service_id=battery.id
        )
    assert after is True


async def test_admin_and_mechanic_routes_answer_422_for_bad_input_and_404_for_unknown_ids(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    admin, mechanic = shop.admin.headers, shop.mechanic.headers
    bad = [
        ("POST", "/bookings/admin/assign", {"booking_id": "one", "mechanic_id": "MEC1"}, admin),
        ("PUT", "/bookings/admin/progress/1", {"status_id": -3}, admin),
        ("PUT", "/bookings/admin/analysis/1", {"items": [{"service_id": 1}]}, admin),
        ("GET", "/bookings/admin/dashboard?from_date=tomorrow", None, admin),
        ("POST", "/bookings/mechanic/analysis", {"booking_id": 1, "items": []}, mechanic),
        ("POST", "/bookings/mechanic/progress", {"booking_id": 1, "service_id": 1}, mechanic),
        ("GET", "/bookings/mechanic/assignments?limit=1000", None, mechanic),
    ]
    for method, path, body, headers in bad:
        response = await client.request(method, path, json=body, headers=headers)
        assert_revcare_error(response, 422)
    unknown = [
        ("POST", "/bookings/admin/assign", {"booking_id": 999_999, "mechanic_id": "MEC000001"}),
        ("PUT", "/bookings/admin/progress/999999", {"notes": "x"}),
        ("POST", "/bookings/admin/progress/999999/validate", None),
        ("PUT", "/bookings/admin/analysis/999999", {"summary": "x"}),
        ("POST", "/bookings/admin/analysis/999999/validate", None),
        ("POST", "/bookings/admin/progress/0/validate", None),
        ("POST", "/bookings/admin/analysis/x/validate", None),
        ("GET", "/bookings/99999999999999999999", None),
    ]
    for method, path, body in unknown:
        response = await client.request(method, path, json=body, headers=admin)
        assert_revcare_error(response, 404)
    booking_id = (await book(client, shop))["id"]
    customer_as_mechanic = await client.post(
        "/bookings/admin/assign",
        json={"booking_id": booking_id, "mechanic_id": f"MEC{shop.customer.user.id:06d}"},
        headers=admin,
    )
    assert assert_revcare_error(customer_as_mechanic, 404)["detail"].startswith("Mechanic")
