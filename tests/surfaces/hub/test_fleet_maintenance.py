"""Hub /v1/fleet/maintenance...: the fleet's workshop selection, its providers, and
maintenance requests booked as real RevCare service bookings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.service.bookings.models import ServiceBooking
from evcare.service.fleet_maintenance_models import FleetMaintenance
from evcare.service.workshops import DEFAULT_WORKSHOP_ID
from tests.factories.bookings import Workshop, make_workshop
from tests.factories.identity import signed_in
from tests.factories.integrations import partner_user
from tests.factories.workshops import (
    Fleet,
    fleet_with_vehicle,
    make_fleet,
    make_fleet_vehicle,
    workshop_with_services,
)
from tests.surfaces.hub.test_idempotency import assert_hub_error

SETTINGS = "/v1/fleet/maintenance/settings"
PROVIDERS = "/v1/fleet/maintenance/providers"
MAINTENANCE = "/v1/fleet/maintenance"
MAINTENANCE_FIELDS = {
    "id",
    "vehicleId",
    "workshopId",
    "bookingId",
    "status",
    "preferredDate",
    "notes",
    "services",
    "currency",
    "subtotal",
    "gst",
    "total",
    "createdAt",
    "updatedAt",
    "completedAt",
}


def tomorrow() -> str:
    return (utcnow().date() + timedelta(days=1)).isoformat()


def request_body(vehicle_id: int, shop: Workshop, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "vehicleId": f"VEH{vehicle_id:06d}",
        "serviceIds": [str(s.id) for s in shop.services],
        "preferredDate": tomorrow(),
        "notes": "Brakes squeal",
    }
    body.update(overrides)
    return body


async def counts(runtime: Runtime) -> tuple[int, int]:
    async with runtime.sessionmaker() as session:
        bookings = await session.scalar(select(func.count()).select_from(ServiceBooking))
        requests = await session.scalar(select(func.count()).select_from(FleetMaintenance))
    return bookings or 0, requests or 0


async def booked(
    client: httpx.AsyncClient, fleet: Fleet, vehicle_id: int, shop: Workshop, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        MAINTENANCE, json=request_body(vehicle_id, shop, **overrides), headers=fleet.keyed()
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# -- settings and providers ----------------------------------------------------------------


async def test_a_fleet_that_never_chose_is_independent_and_may_use_every_workshop(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    north, _ = await workshop_with_services(runtime, name="North Garage")
    south, _ = await workshop_with_services(runtime, name="South Garage")
    fleet = await make_fleet(runtime, client)

    settings = await client.get(SETTINGS, headers=fleet.headers)
    providers = await client.get(PROVIDERS, headers=fleet.headers)

    assert settings.json() == {"selectionMode": "independent", "allowedWorkshopIds": []}
    listed = [w["id"] for w in providers.json()["data"]]
    assert [w for w in listed if w != DEFAULT_WORKSHOP_ID] == [north.id, south.id]
    assert providers.json() == (await client.get("/v1/workshops", headers=fleet.headers)).json()


async def test_allowed_only_narrows_the_providers_to_the_allowed_list(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    north, _ = await workshop_with_services(runtime, name="North Garage")
    await workshop_with_services(runtime, name="South Garage")
    fleet = await make_fleet(runtime, client)

    saved = await client.put(
        SETTINGS,
        json={"selectionMode": "allowed_only", "allowedWorkshopIds": [north.id, north.id]},
        headers=fleet.headers,
    )
    providers = await client.get(PROVIDERS, headers=fleet.headers)

    assert saved.status_code == 200, saved.text
    assert saved.json() == {"selectionMode": "allowed_only", "allowedWorkshopIds": [north.id]}
    assert (await client.get(SETTINGS, headers=fleet.headers)).json() == saved.json()
    (only,) = providers.json()["data"]
    assert (only["id"], len(only["services"])) == (north.id, 2)


async def test_each_fleet_has_its_own_selection(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    north, _ = await workshop_with_services(runtime, name="North Garage")
    first, second = await make_fleet(runtime, client), await make_fleet(runtime, client)
    await client.put(
        SETTINGS,
        json={"selectionMode": "allowed_only", "allowedWorkshopIds": [north.id]},
        headers=first.headers,
    )
    assert (await client.get(SETTINGS, headers=second.headers)).json()["selectionMode"] == (
        "independent"
    )


async def test_settings_refuse_what_is_not_a_workshop_and_an_empty_allowed_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    fleet = await make_fleet(runtime, client)
    for body in (
        {"selectionMode": "allowed_only", "allowedWorkshopIds": []},
        # The fleet's own organization is a partner, not a workshop.
        {"selectionMode": "independent", "allowedWorkshopIds": [fleet.organization_id]},
        {"selectionMode": "independent", "allowedWorkshopIds": ["org_nosuchone"]},
        {"selectionMode": "sometimes", "allowedWorkshopIds": []},
        {"selectionMode": "independent", "allowedWorkshopIds": ["not an id"]},
        {"selectionMode": "independent", "extra": True},
    ):
        response = await client.put(SETTINGS, json=body, headers=fleet.headers)
        error = assert_hub_error(response, 422, "VALIDATION_ERROR")
        assert error["details"], body
    assert (await client.get(SETTINGS, headers=fleet.headers)).json()["selectionMode"] == (
        "independent"
    )


async def test_fleet_routes_need_a_token(client: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", SETTINGS),
        ("PUT", SETTINGS),
        ("GET", PROVIDERS),
        ("GET", MAINTENANCE),
        ("POST", MAINTENANCE),
        ("GET", f"{MAINTENANCE}/mnt_0a1b2c"),
        ("PATCH", f"{MAINTENANCE}/mnt_0a1b2c"),
    ):
        response = await client.request(method, path, json={})
        assert_hub_error(response, 401, "UNAUTHORIZED")


async def test_fleet_routes_need_the_fleet_bundle_or_role(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    client_only = await make_fleet(runtime, client, bundles=["CLIENT_ACCESS"])
    for method, path in (
        ("GET", SETTINGS),
        ("PUT", SETTINGS),
        ("GET", PROVIDERS),
        ("GET", MAINTENANCE),
        ("POST", MAINTENANCE),
        ("GET", f"{MAINTENANCE}/mnt_0a1b2c"),
        ("PATCH", f"{MAINTENANCE}/mnt_0a1b2c"),
    ):
        response = await client.request(method, path, json={}, headers=client_only.headers)
        assert_hub_error(response, 403, "BUNDLE_FORBIDDEN")
    _, customer = await signed_in(runtime, client, Role.USER)
    assert_hub_error(await client.get(SETTINGS, headers=customer), 403, "FORBIDDEN")


async def test_a_fleet_manager_signed_in_by_the_partner_manages_the_fleets_maintenance(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    fleet = await make_fleet(runtime, client)
    manager = await partner_user(client, fleet.created, role_hint="FLEET_MANAGER")
    headers = {"Authorization": f"Bearer {manager['accessToken']}"}
    north, _ = await workshop_with_services(runtime, name="North Garage")

    saved = await client.put(
        SETTINGS,
        json={"selectionMode": "allowed_only", "allowedWorkshopIds": [north.id]},
        headers=headers,
    )

    assert saved.status_code == 200, saved.text
    assert (await client.get(SETTINGS, headers=fleet.headers)).json() == saved.json()
    driver = await partner_user(client, fleet.created, role_hint="DRIVER")
    assert_hub_error(
        await client.get(SETTINGS, headers={"Authorization": f"Bearer {driver['accessToken']}"}),
        403,
        "FORBIDDEN",
    )


# -- requests ------------------------------------------------------------------------------


async def test_a_request_books_a_real_workshop_booking_in_the_revcare_api(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    fleet, vehicle_id = await fleet_with_vehicle(runtime, client)

    created = await booked(client, fleet, vehicle_id, shop)

    assert set(created) == MAINTENANCE_FIELDS
    assert created["id"].startswith("mnt_")
    assert created["vehicleId"] == f"VEH{vehicle_id:06d}"
    assert (created["workshopId"], created["status"]) == (DEFAULT_WORKSHOP_ID, "created")
    assert (created["preferredDate"], created["notes"]) == (tomorrow(), "Brakes squeal")
    assert [s["serviceId"] for s in created["services"]] == [str(s.id) for s in shop.services]
    assert [s["unitPrice"] for s in created["services"]] == [100_000, 250_050]
    assert created["subtotal"] == 350_050 and created["currency"] == "INR"
    assert created["completedAt"] is None
    # The workshop's admin sees it among RevCare's bookings, at the fleet's vehicle.
    booking = await client.get(f"/bookings/{created['bookingId']}", headers=shop.admin.headers)
    assert booking.status_code == 200, booking.text
    assert booking.json()["vehicle_id"] == vehicle_id
    assert booking.json()["status"] == "created"
    again = await client.get(f"{MAINTENANCE}/{created['id']}", headers=fleet.headers)
    assert again.json() == created
    listed = (await client.get(MAINTENANCE, headers=fleet.headers)).json()
    assert [m["id"] for m in listed["data"]] == [created["id"]]
    assert listed["pagination"]["total"] == 1


async def test_a_retried_request_with_the_same_key_books_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    fleet, vehicle_id = await fleet_with_vehicle(runtime, client)
    headers = fleet.keyed("maintenance-1")

    first = await client.post(MAINTENANCE, json=request_body(vehicle_id, shop), headers=headers)
    second = await client.post(MAINTENANCE, json=request_body(vehicle_id, shop), headers=headers)

    assert first.status_code == second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert await counts(runtime) == (1, 1)


async def test_a_workshop_outside_the_allowed_list_is_workshop_not_allowed(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    north, north_services = await workshop_with_services(runtime, name="North Garage")
    fleet, vehicle_id = await fleet_with_vehicle(runtime, client)
    await client.put(
        SETTINGS,
        json={"selectionMode": "allowed_only", "allowedWorkshopIds": [north.id]},
        headers=fleet.headers,
    )

    refused = await client.post(
        MAINTENANCE,
        json=request_body(vehicle_id, shop, workshopId=DEFAULT_WORKSHOP_ID),
        headers=fleet.keyed(),
    )

    assert_hub_error(refused, 403, "WORKSHOP_NOT_ALLOWED")
    assert await counts(runtime) == (0, 0)
    # Without workshopId the one allowed workshop is implied.
    created = await booked(
        client, fleet, vehicle_id, shop, serviceIds=[str(i) for i in north_services]
    )
    assert created["workshopId"] == north.id


async def test_several_allowed_workshops_need_a_workshop_id(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    north, _ = await workshop_with_services(runtime, name="North Garage")
    fleet, vehicle_id = await fleet_with_vehicle(runtime, client)
    await client.put(
        SETTINGS,
        json={
            "selectionMode": "allowed_only",
            "allowedWorkshopIds": [north.id, DEFAULT_WORKSHOP_ID],
        },
        headers=fleet.headers,
    )
    response = await client.post(
        MAINTENANCE, json=request_body(vehicle_id, shop), headers=fleet.keyed()
    )
    body = assert_hub_error(response, 422, "VALIDATION_ERROR")
    assert body["details"][0]["field"] == "workshopId"


async def test_another_organizations_vehicle_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    fleet = await make_fleet(runtime, client)
    _, other_vehicle = await fleet_with_vehicle(runtime, client)

    for vehicle_id in (other_vehicle, shop.vehicle_id):  # another fleet's; a customer's own
        response = await client.post(
            MAINTENANCE, json=request_body(vehicle_id, shop), headers=fleet.keyed()
        )
        assert_hub_error(response, 404, "NOT_FOUND")
    assert await counts(runtime) == (0, 0)


async def test_services_the_workshop_does_not_offer_are_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    _, north_services = await workshop_with_services(runtime, name="North Garage")
    fleet, vehicle_id = await fleet_with_vehicle(runtime, client)

    for services in ([str(north_services[0])], ["99999"], [str(shop.services[0].id)] * 2):
        response = await client.post(
            MAINTENANCE,
            json=request_body(
                vehicle_id, shop, serviceIds=services, workshopId=DEFAULT_WORKSHOP_ID
            ),
            headers=fleet.keyed(),
        )
        body = assert_hub_error(response, 422, "VALIDATION_ERROR")
        assert body["details"][0]["field"] == "serviceIds"
    assert await counts(runtime) == (0, 0)


async def test_a_date_in_the_past_and_malformed_requests_are_validation_errors(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    fleet, vehicle_id = await fleet_with_vehicle(runtime, client)
    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    far = (utcnow().date() + timedelta(days=400)).isoformat()
    for overrides, field in (
        ({"preferredDate": yesterday}, "preferredDate"),
        ({"preferredDate": far}, "preferredDate"),
        ({"preferredDate": "tomorrow"}, "preferredDate"),
        ({"serviceIds": []}, "serviceIds"),
        ({"vehicleId": "car-1"}, "vehicleId"),
        ({"workshopId": "garage"}, "workshopId"),
    ):
        response = await client.post(
            MAINTENANCE, json=request_body(vehicle_id, shop, **overrides), headers=fleet.keyed()
        )
        body = assert_hub_error(response, 422, "VALIDATION_ERROR")
        assert body["details"][0]["field"] == field, (overrides, body)
    assert await counts(runtime) == (0, 0)


async def test_an_unknown_workshop_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    fleet, vehicle_id = await fleet_with_vehicle(runtime, client)
    response = await client.post(
        MAINTENANCE,
        json=request_body(vehicle_id, shop, workshopId="org_nosuchone"),
        headers=fleet.keyed(),
    )
    assert_hub_error(response, 404, "NOT_FOUND")


async def test_a_day_with_no_free_timeslot_is_a_conflict(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client, capacity=1)
    fleet, vehicle_id = await fleet_with_vehicle(runtime, client)
    await booked(client, fleet, vehicle_id, shop)
    response = await client.post(
        MAINTENANCE, json=request_body(vehicle_id, shop), headers=fleet.keyed()
    )
    assert_hub_error(response, 409, "CONFLICT")
    assert await counts(runtime) == (1, 1)


async def test_another_fleets_request_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    fleet, vehicle_id = await fleet_with_vehicle(runtime, client)
    created = await booked(client, fleet, vehicle_id, shop)
    other = await make_fleet(runtime, client)

    path = f"{MAINTENANCE}/{created['id']}"
    assert_hub_error(await client.get(path, headers=other.headers), 404, "NOT_FOUND")
    assert_hub_error(
        await client.patch(path, json={"notes": "mine now"}, headers=other.headers),
        404,
        "NOT_FOUND",
    )
    assert (await client.get(MAINTENANCE, headers=other.headers)).json()["data"] == []
    assert_hub_error(
        await client.get(f"{MAINTENANCE}/not-an-id", headers=fleet.headers), 404, "NOT_FOUND"
    )


async def test_requests_are_listed_newest_first_and_filtered(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    fleet, first_vehicle = await fleet_with_vehicle(runtime, client)
    second_vehicle = (
        await make_fleet_vehicle(runtime, fleet.organization_id, owner_id=fleet.service_user_id)
    ).id
    first = await booked(client, fleet, first_vehicle, shop)
    second = await booked(client, fleet, second_vehicle, shop)
    await client.patch(
        f"{MAINTENANCE}/{first['id']}", json={"action": "cancel"}, headers=fleet.headers
    )

    everything = (await client.get(MAINTENANCE, headers=fleet.headers)).json()
    by_vehicle = await client.get(
        f"{MAINTENANCE}?vehicleId=VEH{second_vehicle:06d}", headers=fleet.headers
    )
    cancelled = await client.get(f"{MAINTENANCE}?status=cancelled", headers=fleet.headers)

    assert [m["id"] for m in everything["data"]] == [second["id"], first["id"]]
    assert [m["id"] for m in by_vehicle.json()["data"]] == [second["id"]]
    assert [m["id"] for m in cancelled.json()["data"]] == [first["id"]]
    assert_hub_error(
        await client.get(f"{MAINTENANCE}?status=sometime", headers=fleet.headers),
        422,
        "VALIDATION_ERROR",
    )


async def test_the_fleet_edits_notes_and_cancels_as_the_bookings_customer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    fleet, vehicle_id = await fleet_with_vehicle(runtime, client)
    created = await booked(client, fleet, vehicle_id, shop)
    path = f"{MAINTENANCE}/{created['id']}"

    noted = await client.patch(path, json={"notes": "Also check tyres"}, headers=fleet.headers)
    cancelled = await client.patch(
        path, json={"action": "cancel", "reason": "sold"}, headers=fleet.headers
    )

    assert noted.status_code == 200, noted.text
    assert (noted.json()["notes"], noted.json()["status"]) == ("Also check tyres", "created")
    assert cancelled.json()["status"] == "cancelled"
    booking = await client.get(f"/bookings/{created['bookingId']}", headers=shop.admin.headers)
    assert booking.json()["status"] == "cancelled"
    # The booking's state machine decides: a cancelled booking cannot be confirmed.
    refused = await client.patch(path, json={"action": "confirm_services"}, headers=fleet.headers)
    assert_hub_error(refused, 409, "CONFLICT")


async def test_a_malformed_patch_is_a_validation_error(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    fleet, vehicle_id = await fleet_with_vehicle(runtime, client)
    created = await booked(client, fleet, vehicle_id, shop)
    path = f"{MAINTENANCE}/{created['id']}"
    for body in (
        {},
        {"action": "repaint"},
        {"action": "cancel", "paymentMode": "cod"},
        {"notes": "x", "reason": "no action"},
        {"status": "completed"},
    ):
        response = await client.patch(path, json=body, headers=fleet.headers)
        assert_hub_error(response, 422, "VALIDATION_ERROR")
    assert (await client.get(path, headers=fleet.headers)).json() == created
