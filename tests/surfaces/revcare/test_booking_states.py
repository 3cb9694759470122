"""The RevCare booking state machine as a table: every action asked in every state is a
409 naming the state, except on the documented edges, where it succeeds; a refused step
changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from evcare.core.runtime import Runtime
from evcare.service.bookings.models import BookingStatus
from tests.factories.bookings import (
    Workshop,
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
from tests.surfaces.revcare.helpers import assert_revcare_error

STATES = [str(status) for status in BookingStatus]


@dataclass
class Booking:
    shop: Workshop
    id: int
    progress_id: int | None = None


async def booking_in(client: httpx.AsyncClient, shop: Workshop, state: str) -> Booking:
    """A booking walked to ``state`` over HTTP by its real users (cash on delivery)."""
    booking = Booking(shop, (await book(client, shop))["id"])
    steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("mechanic_assigned", lambda: assign(client, shop, booking.id)),
        ("analysis_submitted", lambda: analyse(client, shop, booking.id, ("1000", "2000"))),
        ("analysis_approved", lambda: approve(client, shop, booking.id)),
        ("services_confirmed", lambda: confirm(client, shop, booking.id, payment_mode="cod")),
    ]
    if state == "created":
        return booking
    if state == "cancelled":
        await assign(client, shop, booking.id)  # the mechanic can see it, and is refused
        ok(await _call(client, booking, "cancel"))
        return booking
    for reached, step in steps:
        await step()
        if reached == state:
            return booking
    first = await report(client, shop, booking.id, shop.services[0].id, "in-progress")
    booking.progress_id = first["id"]
    if state == "in_progress":
        return booking
    for service in shop.services:
        done = await report(client, shop, booking.id, service.id, "completed")
        await validate(client, shop, done["id"])
        booking.progress_id = done["id"]
    ok(await _call(client, booking, "reserve_cash"))  # what collecting cash needs
    if state == "completed":
        return booking
    ok(await _call(client, booking, "collect_cash"))
    return booking


async def _call(client: httpx.AsyncClient, booking: Booking, action: str) -> httpx.Response:
    shop, key = booking.shop, booking.id
    customer, mechanic, admin = shop.customer.headers, shop.mechanic.headers, shop.admin.headers
    estimates = [
        {"service_id": s.id, "estimated_cost": "900", "estimated_time_minutes": 30}
        for s in shop.services
    ]
    match action:
        case "assign":
            body = {"booking_id": key, "mechanic_id": shop.mechanic.mec_id}
            return await client.post("/bookings/admin/assign", json=body, headers=admin)
        case "submit_analysis":
            body = {"booking_id": key, "summary": "again", "items": estimates}
            return await client.post("/bookings/mechanic/analysis", json=body, headers=mechanic)
        case "edit_analysis":
            return await client.put(
                f"/bookings/admin/analysis/{key}", json={"items": estimates}, headers=admin
            )
        case "approve_analysis":
            return await client.post(f"/bookings/admin/analysis/{key}/validate", headers=admin)
        case "confirm_services":
            body = {"payment_mode": "cod", "declined_service_ids": []}
            return await client.put(
                f"/bookings/{key}/confirm-services", json=body, headers=customer
            )
        case "record_progress":
            body = {
                "booking_id": key,
                "service_id": shop.services[1].id,
                "status_id": shop.statuses["in-progress"].id,
                "notes": "started",
            }
            return await client.post("/bookings/mechanic/progress", json=body, headers=mechanic)
        case "edit_progress":
            return await client.put(
                f"/bookings/admin/progress/{booking.progress_id}",
                json={"notes": "edited"},
                headers=admin,
            )
        case "validate_progress":
            return await client.post(
                f"/bookings/admin/progress/{booking.progress_id}/validate", headers=admin
            )
        case "cancel":
            return await client.put(f"/bookings/{key}/cancel", json={}, headers=customer)
        case "reserve_cash":
            return await client.post(f"/payment/cash-on-delivery/{key}", headers=customer)
        case "collect_cash":
            return await client.post("/payment/verify-cod", json={"booking_id": key}, headers=admin)
        case "pay_online":
            return await client.post(f"/payment/razorpay/order/{key}", headers=customer)
    raise AssertionError(action)


# action -> the states it is allowed in (the documented edges, docs/revcare.md).
ALLOWED: dict[str, set[str]] = {
    "assign": {"created", "mechanic_assigned"},
    "submit_analysis": {"mechanic_assigned", "analysis_submitted"},
    "edit_analysis": {"analysis_submitted"},
    "approve_analysis": {"analysis_submitted"},
    "confirm_services": {"analysis_approved"},
    "record_progress": {"services_confirmed", "in_progress"},
    "edit_progress": {"in_progress"},
    "validate_progress": {"in_progress"},
    "cancel": {
        "created",
        "mechanic_assigned",
        "analysis_submitted",
        "analysis_approved",
        "services_confirmed",
    },
    "reserve_cash": {"services_confirmed", "in_progress", "completed"},
    "collect_cash": {"completed", "paid"},
    "pay_online": {"completed"},
}
# Progress reports exist only once work has started; before that the id names nothing.
NEEDS_PROGRESS = {"edit_progress", "validate_progress"}
# Before a mechanic is assigned, a mechanic's own action finds no booking of theirs.
MECHANIC_ACTIONS = {"submit_analysis", "record_progress"}


def _expected(action: str, state: str) -> int | None:
    """200/201 on an allowed edge, 409 elsewhere; 404 where the booking is not the
    mechanic's yet; None where the action names nothing (no progress report yet)."""
    if action in NEEDS_PROGRESS and state not in {"in_progress", "completed", "paid"}:
        return None
    if state in ALLOWED[action]:
        return 200
    if action in MECHANIC_ACTIONS and state == "created":
        return 404
    return 409


@pytest.mark.parametrize("state", STATES)
async def test_every_action_outside_its_edges_is_409_and_changes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, state: str
) -> None:
    shop = await make_workshop(runtime, client, capacity=20)
    booking = await booking_in(client, shop, state)
    before = ok(await client.get(f"/bookings/{booking.id}", headers=shop.customer.headers))
    assert before["status"] == state
    refused = [a for a in ALLOWED if _expected(a, state) in {404, 409}]
    for action in refused:
        response = await _call(client, booking, action)
        body = assert_revcare_error(response, _expected(action, state) or 0)
        if response.status_code == 409:
            assert f"is {state}" in body["detail"], (action, body)
    after = ok(await client.get(f"/bookings/{booking.id}", headers=shop.customer.headers))
    assert after == before, "a refused step changed the booking"


EDGES = [
    (action, state) for action in ALLOWED for state in STATES if _expected(action, state) == 200
]


@pytest.mark.parametrize(("action", "state"), EDGES)
async def test_every_documented_edge_is_allowed(
    client: httpx.AsyncClient, runtime: Runtime, action: str, state: str
) -> None:
    shop = await make_workshop(runtime, client, capacity=20)
    booking = await booking_in(client, shop, state)
    response = await _call(client, booking, action)
    assert response.status_code in {200, 201}, (action, state, response.text)


def test_the_table_covers_every_state_and_names_every_edge_once() -> None:
    for action, states in ALLOWED.items():
        assert states <= set(STATES), action
    assert len(EDGES) == sum(len(states) for states in ALLOWED.values())
