"""RevCare rules that need bookings: reviews (``POST /services/review/{service_id}`` only
after a completed booking, ``PUT`` to moderate, the public sees approved ones), timeslot
availability, and services or slots in use that cannot be deleted."""

from __future__ import annotations

import httpx
import pytest

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
    report,
    validate,
)
from tests.factories.identity import signed_in
from tests.factories.service import make_service
from tests.surfaces.revcare.helpers import assert_revcare_error

REVIEW = {"rating": 5, "comment": "Brakes feel new"}


async def test_a_customer_reviews_a_service_after_a_completed_booking_and_an_admin_approves_it(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    await completed_booking(client, shop)
    service = shop.services[1]
    path = f"/services/review/{service.id}"

    created = await client.post(path, json=REVIEW, headers=shop.customer.headers)
    assert created.status_code == 201, created.text
    review = created.json()
    assert review == {
        "id": review["id"],
        "service_id": service.id,
        "customer_id": shop.customer.cst_id,
        "rating": 5,
        "comment": "Brakes feel new",
        "status": "pending",
        "created_at": review["created_at"],
    }
    assert (await client.get(path)).json() == []

    approved = await client.put(
        path, json={"review_id": review["id"], "action": "approve"}, headers=shop.admin.headers
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert [r["id"] for r in (await client.get(path)).json()] == [review["id"]]
    rated = (await client.get(f"/services/{service.id}")).json()
    assert (rated["average_rating"], rated["review_count"]) == (5.0, 1)

    hidden = await client.put(
        path, json={"review_id": review["id"], "action": "hide"}, headers=shop.admin.headers
    )
    assert hidden.json()["status"] == "hidden"
    assert (await client.get(path)).json() == []
    admin_view = await client.get(f"{path}?status=hidden", headers=shop.admin.headers)
    assert [r["id"] for r in admin_view.json()] == [review["id"]]


async def _booking_at(client: httpx.AsyncClient, shop: Workshop, state: str) -> int:
    """A booking whose services the customer accepted, stopped at ``state``."""
    booking_id = (await book(client, shop))["id"]
    await assign(client, shop, booking_id)
    await analyse(client, shop, booking_id, ("1000", "2000"))
    await approve(client, shop, booking_id)
    await confirm(client, shop, booking_id)
    if state == "in_progress":
        # One service done and validated, the other still being worked on.
        first, second = shop.services
        done = await report(client, shop, booking_id, first.id, "completed")
        await validate(client, shop, done["id"])
        await report(client, shop, booking_id, second.id, "in-progress")
    detail = ok(await client.get(f"/bookings/{booking_id}", headers=shop.customer.headers))
    assert detail["status"] == state
    assert {line["decision"] for line in detail["services"]} == {"accepted"}
    return booking_id


@pytest.mark.parametrize("state", ["services_confirmed", "in_progress"])
async def test_a_customer_cannot_review_before_the_booking_is_completed(
    client: httpx.AsyncClient, runtime: Runtime, state: str
) -> None:
    # The services are accepted (and one is even done): only the booking's state is missing.
    shop = await make_workshop(runtime, client)
    await _booking_at(client, shop, state)
    for service in shop.services:
        response = await client.post(
            f"/services/review/{service.id}", json=REVIEW, headers=shop.customer.headers
        )
        body = assert_revcare_error(response, 400)
        assert "completed booking" in body["detail"]


async def test_a_service_the_customer_declined_cannot_be_reviewed_after_completion(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    kept, declined = shop.services
    booking_id = (await book(client, shop))["id"]
    await assign(client, shop, booking_id)
    await analyse(client, shop, booking_id, ("1000", "2000"))
    await approve(client, shop, booking_id)
    await confirm(client, shop, booking_id, declined=[declined.id])
    done = await report(client, shop, booking_id, kept.id, "completed")
    await validate(client, shop, done["id"])
    detail = ok(await client.get(f"/bookings/{booking_id}", headers=shop.customer.headers))
    assert detail["status"] == "completed"
    refused = await client.post(
        f"/services/review/{declined.id}", json=REVIEW, headers=shop.customer.headers
    )
    assert "completed booking" in assert_revcare_error(refused, 400)["detail"]
    accepted = await client.post(
        f"/services/review/{kept.id}", json=REVIEW, headers=shop.customer.headers
    )
    assert accepted.status_code == 201, accepted.text


async def test_a_customer_cannot_review_a_service_their_booking_did_not_include(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    await completed_booking(client, shop)
    other = await make_service(runtime, name="Wheel alignment")
    response = await client.post(
        f"/services/review/{other.id}", json=REVIEW, headers=shop.customer.headers
    )
    assert_revcare_error(response, 400)
    _, stranger = await signed_in(runtime, client)
    response = await client.post(
        f"/services/review/{shop.services[0].id}", json=REVIEW, headers=stranger
    )
    assert_revcare_error(response, 400)


async def test_a_customer_reviews_a_service_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    await completed_booking(client, shop)
    path = f"/services/review/{shop.services[0].id}"
    assert (await client.post(path, json=REVIEW, headers=shop.customer.headers)).status_code == 201
    assert_revcare_error(await client.post(path, json=REVIEW, headers=shop.customer.headers), 409)


async def test_review_routes_refuse_anonymous_callers_and_the_wrong_roles(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    service = await make_service(runtime)
    path = f"/services/review/{service.id}"
    assert_revcare_error(await client.post(path, json=REVIEW), 401)
    assert_revcare_error(await client.put(path, json={"review_id": 1, "action": "hide"}), 401)
    _, mechanic = await signed_in(runtime, client, Role.MECHANIC)
    body = assert_revcare_error(await client.post(path, json=REVIEW, headers=mechanic), 403)
    assert body["detail"] == "SHOP:SERVICES scope required"
    _, customer = await signed_in(runtime, client)
    body = assert_revcare_error(
        await client.put(path, json={"review_id": 1, "action": "hide"}, headers=customer), 403
    )
    assert body["detail"] == "WRITE:SERVICES scope required"


async def test_moderating_a_review_of_another_service_is_404(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    await completed_booking(client, shop)
    first, second = shop.services
    review = (
        await client.post(
            f"/services/review/{first.id}", json=REVIEW, headers=shop.customer.headers
        )
    ).json()
    wrong = await client.put(
        f"/services/review/{second.id}",
        json={"review_id": review["id"], "action": "approve"},
        headers=shop.admin.headers,
    )
    assert_revcare_error(wrong, 404)
    missing = await client.post(
        "/services/review/999999", json=REVIEW, headers=shop.customer.headers
    )
    assert_revcare_error(missing, 404)
    assert_revcare_error(await client.get("/services/review/999999"), 404)


async def test_bad_review_input_is_422_naming_each_field(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    service = await make_service(runtime)
    _, customer = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    path = f"/services/review/{service.id}"
    bad = await client.post(path, json={"rating": 6, "comment": "x" * 1001}, headers=customer)
    fields = {item["loc"][-1] for item in assert_revcare_error(bad, 422)["detail"]}
    assert fields == {"rating", "comment"}
    bad = await client.put(path, json={"review_id": 0, "action": "delete"}, headers=admin)
    fields = {item["loc"][-1] for item in assert_revcare_error(bad, 422)["detail"]}
    assert fields == {"review_id", "action"}


async def test_availability_is_capacity_minus_the_bookings_holding_the_slot(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client, capacity=3)
    booking = await book(client, shop)
    await book(client, shop)
    day = booking["service_date"]
    slots = (await client.get(f"/utils/timeslot?date={day}")).json()
    (slot,) = [s for s in slots if s["id"] == shop.timeslot.id]
    assert (slot["date"], slot["capacity"], slot["booked"], slot["available"]) == (day, 3, 2, 1)
    other_day = (await client.get("/utils/timeslot?date=2000-01-01")).json()
    assert [s["available"] for s in other_day if s["id"] == shop.timeslot.id] == [3]


async def test_a_service_or_timeslot_that_bookings_use_cannot_be_deleted(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    await book(client, shop)
    admin = shop.admin.headers
    service = assert_revcare_error(
        await client.delete(f"/services/{shop.services[0].id}", headers=admin), 409
    )
    assert "deactivate" in service["detail"]
    assert (await client.get(f"/services/{shop.services[0].id}")).status_code == 200
    slot = assert_revcare_error(
        await client.delete(f"/utils/timeslot/{shop.timeslot.id}", headers=admin), 409
    )
    assert "deactivate" in slot["detail"]
    paused = await client.put(
        f"/utils/timeslot/{shop.timeslot.id}", json={"is_active": False}, headers=admin
    )
    assert paused.json()["is_active"] is False
