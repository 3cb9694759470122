"""Issue 15's whole flow, on one vehicle record: a partner signs in (the quickstart's calls),
creates a fleet vehicle (owned by the organization, no owner user) and a driver, the driver
charges it over real OCPP, the fleet books its maintenance at an allowed workshop, the
workshop's mechanic works the booking through the RevCare API to completion, and the fleet
sees the session and the service in the vehicle's history, with the webhooks delivered to a
real receiver."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User
from evcare.service.workshops import DEFAULT_WORKSHOP_ID
from evcare.vehicles.models import Vehicle
from tests.factories.bookings import analyse, approve, assign, make_workshop, report, validate
from tests.factories.fleet import add_driver, add_vehicle
from tests.factories.identity import bearer, login, make_user, signed_in
from tests.factories.integrations import admin_headers, create_integration
from tests.factories.ocpp import connect, make_charger
from tests.factories.server import live_server
from tests.factories.wallet import fund
from tests.factories.webhooks import Receiver, create_webhook, deliver_all
from tests.factories.workshops import workshop_with_services
from tests.surfaces.hub.test_fleet_maintenance import tomorrow
from tests.surfaces.hub.test_idempotency import assert_hub_error

__all__ = ["live_server"]

pytestmark = pytest.mark.usefixtures("private_allowed")

EVENTS = [
    "vehicle.created",
    "driver.created",
    "session.started",
    "session.completed",
    "maintenance.scheduled",
    "maintenance.updated",
    "maintenance.completed",
]


async def _signed_in_partner(
    client: httpx.AsyncClient, runtime: Runtime
) -> tuple[str, dict[str, str], dict[str, str], dict[str, Any]]:
    """Quickstart steps 1 to 4: the integration, its machine token, and a fleet manager's
    browser token from an exchanged identity."""
    created = await create_integration(
        client,
        await admin_headers(runtime, client),
        bundles=["FLEET_MANAGER_ACCESS"],
        organizationName="Green Cabs",
    )
    integration_id = created["integration"]["id"]
    issued = await client.post(
        "/v1/integrations/auth/client-token",
        json={
            "clientId": created["credentials"]["clientId"],
            "clientSecret": created["credentials"]["clientSecret"],
        },
    )
    assert issued.status_code == 200, issued.text
    machine = bearer(issued.json()["accessToken"])
    exchanged = await client.post(
        "/v1/integrations/auth/exchange",
        headers=machine,
        json={
            "integrationId": integration_id,
            "externalSubject": "ops_manager_1",
            "email": "ops@greencabs.example",
            "roleHint": "FLEET_MANAGER",
        },
    )
    assert exchanged.status_code == 200, exchanged.text
    redeemed = await client.post(
        "/v1/integrations/auth/session", json={"sessionCode": exchanged.json()["sessionCode"]}
    )
    assert redeemed.status_code == 200, redeemed.text
    manager: dict[str, Any] = redeemed.json()["user"]
    return integration_id, machine, bearer(redeemed.json()["accessToken"]), manager


async def test_a_fleet_vehicle_charges_and_is_serviced_and_the_fleet_sees_one_history(
    live_server: str, client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    integration_id, machine, manager, manager_user = await _signed_in_partner(client, runtime)
    await create_webhook(client, machine, integration_id, receiver.url("/fleet"), EVENTS)

    # The fleet's vehicle and its driver, through the hub.
    vehicle = await add_vehicle(client, machine, odometerKm=12_000)
    vehicle_id = vehicle["id"]
    assert vehicle_id.startswith("VEH")
    async with runtime.sessionmaker() as session:
        row = await session.scalar(select(Vehicle).where(Vehicle.id == int(vehicle_id[3:])))
    assert row is not None and row.owner_id is None and row.organization_id is not None
    driver = await add_driver(client, machine)
    assigned = await client.put(
        f"/v1/fleet/drivers/{driver['id']}/vehicles",
        json={"vehicleIds": [vehicle_id]},
        headers=manager,
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["vehicleIds"] == [vehicle_id]

    # The driver charges it over real OCPP (paid from the driver's own wallet).
    async with runtime.sessionmaker() as session:
        driver_user = await session.scalar(select(User).where(User.id == int(driver["userId"])))
    assert driver_user is not None
    await fund(runtime, driver_user, 50_000)
    brand = await make_user(runtime, role=Role.BRAND)
    charger = await make_charger(runtime, owner=brand, base_price_minor=1500)
    operator = bearer(await login(client, brand))
    async with connect(live_server, charger.charge_point_id) as cp:
        started = await client.post(
            "/api/v1/sessions",
            json={
                "chargerId": str(charger.id),
                "connectorId": 1,
                "userId": driver["userId"],
                "vehicleId": vehicle_id,
            },
            headers=operator,
        )
        assert started.status_code == 201, started.text
        await cp.started.get()
        session_id = started.json()["data"]["session"]["id"]
        stopped = await client.post(f"/api/v1/sessions/{session_id}/stop", headers=operator)
        assert stopped.status_code == 200, stopped.text
    charged = stopped.json()["data"]["session"]

    # Maintenance: only the allowed workshop; another one is refused with its code.
    shop = await make_workshop(runtime, client)
    north, north_services = await workshop_with_services(runtime, name="North Garage")
    saved = await client.put(
        "/v1/fleet/maintenance/settings",
        json={"selectionMode": "allowed_only", "allowedWorkshopIds": [DEFAULT_WORKSHOP_ID]},
        headers=manager,
    )
    assert saved.status_code == 200, saved.text
    providers = await client.get("/v1/fleet/maintenance/providers", headers=manager)
    assert [w["id"] for w in providers.json()["data"]] == [DEFAULT_WORKSHOP_ID]
    body = {
        "vehicleId": vehicle_id,
        "serviceIds": [str(s.id) for s in shop.services],
        "preferredDate": tomorrow(),
        "notes": "12,000 km service",
    }
    refused = await client.post(
        "/v1/fleet/maintenance",
        json={**body, "workshopId": north.id, "serviceIds": [str(north_services[0])]},
        headers=manager,
    )
    assert_hub_error(refused, 403, "WORKSHOP_NOT_ALLOWED")
    booked = await client.post(
        "/v1/fleet/maintenance", json={**body, "workshopId": DEFAULT_WORKSHOP_ID}, headers=manager
    )
    assert booked.status_code == 201, booked.text
    maintenance = booked.json()
    assert maintenance["vehicleId"] == vehicle_id
    assert maintenance["workshopId"] == DEFAULT_WORKSHOP_ID
    booking_id = int(maintenance["bookingId"])
    path = f"/v1/fleet/maintenance/{maintenance['id']}"

    # The workshop sees it as any booking: the asking manager is its RevCare customer.
    seen = await client.get(f"/bookings/{booking_id}", headers=shop.admin.headers)
    assert seen.status_code == 200, seen.text
    assert seen.json()["status"] == "created"
    assert seen.json()["customer_id"] == f"CST{int(manager_user['id']):06d}"
    await assign(client, shop, booking_id)
    mine = await client.get("/bookings/mechanic/assignments", headers=shop.mechanic.headers)
    assert booking_id in [b["id"] for b in mine.json()], mine.text
    await analyse(client, shop, booking_id, ("1000", "2000"))
    await approve(client, shop, booking_id)
    confirmed = await client.patch(
        path, json={"action": "confirm_services", "paymentMode": "cod"}, headers=manager
    )
    assert confirmed.status_code == 200, confirmed.text
    for service in shop.services:
        progress = await report(client, shop, booking_id, service.id, "completed")
        await validate(client, shop, progress["id"])
    done = await client.get(path, headers=manager)
    assert done.json()["status"] == "completed"

    # One history: the charging session and the service, on the vehicle.
    sessions = await client.get(f"/v1/fleet/vehicles/{vehicle_id}/sessions", headers=manager)
    assert sessions.status_code == 200, sessions.text
    (shown,) = sessions.json()["data"]
    assert (shown["id"], shown["userId"], shown["status"]) == (
        charged["sessionId"],
        driver["userId"],
        "completed",
    )
    assert shown["energyKwh"] == 3.5
    history = await client.get(f"/v1/fleet/vehicles/{vehicle_id}/service-history", headers=manager)
    assert history.status_code == 200, history.text
    (service,) = history.json()["data"]
    assert service["id"] == str(booking_id)
    assert service["status"] == "completed"
    assert service["workshopId"] == DEFAULT_WORKSHOP_ID
    assert service["completedAt"] is not None
    facts = (await client.get(f"/v1/fleet/vehicles/{vehicle_id}", headers=manager)).json()
    assert facts["charging"] == {"sessions": 1, "energyKwh": 3.5}
    assert facts["odometer"]["estimatedKm"] == 12_000 + 22  # 3.5 kWh x 6.5 km/kWh

    # The webhooks, delivered to the receiver (at least once, not in a promised order).
    await deliver_all(runtime)
    hooks = [json.loads(hook.body) for hook in receiver.received]
    types = [hook["type"] for hook in hooks]
    assert set(types) == set(EVENTS), types
    assert types.count("session.completed") == 1
    assert types.count("maintenance.completed") == 1
    by_type = {hook["type"]: hook["data"] for hook in hooks}
    assert by_type["vehicle.created"]["id"] == vehicle_id
    assert by_type["session.completed"]["sessionId"] == charged["sessionId"]
    assert by_type["maintenance.completed"]["resource"]["vehicleId"] == vehicle_id
    assert by_type["maintenance.completed"]["resource"]["bookingId"] == str(booking_id)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/fleet/vehicles",
        "/v1/fleet/drivers",
        "/v1/fleet/settings",
        "/v1/fleet/maintenance/settings",
        "/v1/fleet/maintenance",
        "/v1/fleet/tickets",
    ],
)
async def test_a_person_of_no_organization_is_forbidden_on_every_fleet_section(
    client: httpx.AsyncClient, runtime: Runtime, path: str
) -> None:
    # An EVCare admin holds every scope but manages no fleet: one answer, 403, everywhere.
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    assert_hub_error(await client.get(path, headers=admin), 403, "FORBIDDEN")
