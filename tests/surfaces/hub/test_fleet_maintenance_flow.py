"""The whole maintenance flow: a fleet books at an allowed workshop, the workshop works the
booking through the RevCare HTTP API to completion, and the fleet sees it completed and
hears maintenance.scheduled / .updated / .completed on its webhook endpoint."""

from __future__ import annotations

import json

import httpx
import pytest

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.service.models import MechanicProfile
from evcare.service.workshops import DEFAULT_WORKSHOP_ID
from tests.factories.bookings import analyse, approve, assign, make_workshop, report, validate
from tests.factories.identity import signed_in
from tests.factories.webhooks import Receiver, create_webhook, deliver_all
from tests.factories.workshops import fleet_with_vehicle, workshop_with_services
from tests.surfaces.hub.test_fleet_maintenance import MAINTENANCE, SETTINGS, booked

pytestmark = pytest.mark.usefixtures("private_allowed")

EVENTS = ["maintenance.scheduled", "maintenance.updated", "maintenance.completed"]


async def test_a_fleets_maintenance_is_worked_through_revcare_to_completed_with_webhooks(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    shop = await make_workshop(runtime, client)
    await workshop_with_services(runtime, name="North Garage")  # not on the fleet's list
    fleet, vehicle_id = await fleet_with_vehicle(runtime, client)
    await create_webhook(client, fleet.headers, fleet.integration_id, receiver.url("/m"), EVENTS)
    saved = await client.put(
        SETTINGS,
        json={"selectionMode": "allowed_only", "allowedWorkshopIds": [DEFAULT_WORKSHOP_ID]},
        headers=fleet.headers,
    )
    assert saved.status_code == 200, saved.text

    created = await booked(client, fleet, vehicle_id, shop, workshopId=DEFAULT_WORKSHOP_ID)
    booking_id = int(created["bookingId"])
    path = f"{MAINTENANCE}/{created['id']}"

    # The workshop's admin and mechanic work it as any RevCare booking.
    await assign(client, shop, booking_id)
    assigned = await client.get(path, headers=fleet.headers)
    assert assigned.json()["status"] == "mechanic_assigned"
    mine = await client.get("/bookings/mechanic/assignments", headers=shop.mechanic.headers)
    assert booking_id in [b["id"] for b in mine.json()], mine.text
    await analyse(client, shop, booking_id, ("1000", "2000"))
    await approve(client, shop, booking_id)
    estimate = (await client.get(path, headers=fleet.headers)).json()
    assert estimate["status"] == "analysis_approved"
    assert [s["estimatedCost"] for s in estimate["services"]] == [100_000, 200_000]
    # The customer's step, taken by the fleet.
    confirmed = await client.patch(
        path, json={"action": "confirm_services", "paymentMode": "cod"}, headers=fleet.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "services_confirmed"
    for service in shop.services:
        progress = await report(client, shop, booking_id, service.id, "completed")
        await validate(client, shop, progress["id"])

    done = (await client.get(path, headers=fleet.headers)).json()
    assert done["status"] == "completed"
    assert done["completedAt"] is not None
    assert done["subtotal"] == 300_000
    revcare = await client.get(f"/bookings/{booking_id}", headers=shop.admin.headers)
    assert revcare.json()["status"] == "completed"

    await deliver_all(runtime)
    hooks = [json.loads(hook.body) for hook in receiver.received]
    types = [hook["type"] for hook in hooks]
    assert types[0] == "maintenance.scheduled"
    assert types[-1] == "maintenance.completed"
    assert types.count("maintenance.completed") == 1
    assert set(types[1:-1]) == {"maintenance.updated"}
    statuses = [hook["data"]["resource"]["status"] for hook in hooks]
    assert statuses == [
        "created",
        "mechanic_assigned",
        "analysis_submitted",
        "analysis_approved",
        "services_confirmed",
        "in_progress",
        "completed",
    ]
    completed = hooks[-1]["data"]
    assert completed["id"] == created["id"]
    assert completed["resource"] == {
        "id": created["id"],
        "status": "completed",
        "previousStatus": "in_progress",
        "bookingId": str(booking_id),
        "workshopId": DEFAULT_WORKSHOP_ID,
        "vehicleId": f"VEH{vehicle_id:06d}",
        "preferredDate": created["preferredDate"],
    }


async def test_a_customers_own_booking_announces_no_maintenance(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    shop = await make_workshop(runtime, client)
    fleet, _ = await fleet_with_vehicle(runtime, client)
    await create_webhook(client, fleet.headers, fleet.integration_id, receiver.url("/m"), EVENTS)
    response = await client.post(
        "/bookings/", json=shop.booking_body(), headers=shop.customer.headers
    )
    assert response.status_code == 201, response.text
    await deliver_all(runtime)
    assert receiver.received == []


async def test_another_workshops_mechanic_cannot_be_assigned_its_booking(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    north, north_services = await workshop_with_services(runtime, name="North Garage")
    fleet, vehicle_id = await fleet_with_vehicle(runtime, client)
    created = await booked(
        client,
        fleet,
        vehicle_id,
        shop,
        workshopId=north.id,
        serviceIds=[str(i) for i in north_services],
    )
    assert created["workshopId"] == north.id

    # shop.mechanic works for the default workshop (RevCare's).
    refused = await client.post(
        "/bookings/admin/assign",
        json={"booking_id": int(created["bookingId"]), "mechanic_id": shop.mechanic.mec_id},
        headers=shop.admin.headers,
    )
    assert refused.status_code == 400, refused.text
    assert "another workshop" in refused.json()["detail"]

    mechanic, _ = await signed_in(runtime, client, Role.MECHANIC)
    async with runtime.sessionmaker() as session:
        session.add(MechanicProfile(user_id=mechanic.id, workshop_id=north.id, skills=[]))
        await session.commit()
    accepted = await client.post(
        "/bookings/admin/assign",
        json={"booking_id": int(created["bookingId"]), "mechanic_id": f"MEC{mechanic.id:06d}"},
        headers=shop.admin.headers,
    )
    assert accepted.status_code == 200, accepted.text
    assert (await client.get(f"{MAINTENANCE}/{created['id']}", headers=fleet.headers)).json()[
        "status"
    ] == "mechanic_assigned"


async def test_the_maintenance_event_types_are_published(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    fleet, _ = await fleet_with_vehicle(runtime, client)
    listed = await client.get("/v1/integrations/webhooks/event-types", headers=fleet.headers)
    types = {t["name"]: t for t in listed.json()["data"]}
    assert [types[name]["published"] for name in EVENTS] == [True, True, True]
