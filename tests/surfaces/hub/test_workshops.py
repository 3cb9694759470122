"""Hub GET /v1/workshops: the workshops (organizations of kind workshop) and their services;
RevCare's catalogue is the default workshop's."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import OrganizationStatus, Role
from evcare.service.workshops import DEFAULT_WORKSHOP_ID, DEFAULT_WORKSHOP_NAME
from tests.factories.identity import signed_in
from tests.factories.service import make_service
from tests.factories.workshops import make_fleet, make_workshop_org, workshop_with_services
from tests.surfaces.hub.test_idempotency import assert_hub_error

WORKSHOP_FIELDS = {"id", "name", "kind", "email", "phone", "address", "services", "createdAt"}
SERVICE_FIELDS = {
    "id",
    "name",
    "description",
    "categoryId",
    "price",
    "currency",
    "durationMinutes",
}


async def test_workshops_are_listed_by_name_with_the_services_each_offers(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    revcare = await make_service(runtime, name="Battery health check", price_minor=100_000)
    north, north_services = await workshop_with_services(runtime, name="North Garage")
    await make_service(runtime, workshop_id=north.id, name="Retired job", is_active=False)
    fleet = await make_fleet(runtime, client)

    response = await client.get("/v1/workshops", headers=fleet.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pagination"] == {"page": 1, "limit": 10, "total": 2, "totalPages": 1}
    by_name = {w["name"]: w for w in body["data"]}
    assert [w["name"] for w in body["data"]] == [DEFAULT_WORKSHOP_NAME, "North Garage"]
    default = by_name[DEFAULT_WORKSHOP_NAME]
    assert set(default) == WORKSHOP_FIELDS
    assert (default["id"], default["kind"]) == (DEFAULT_WORKSHOP_ID, "workshop")
    (service,) = default["services"]
    assert set(service) == SERVICE_FIELDS
    assert service["id"] == str(revcare.id)
    assert (service["price"], service["currency"]) == (100_000, "INR")
    assert sorted(s["id"] for s in by_name["North Garage"]["services"]) == sorted(
        str(i) for i in north_services
    )


async def test_a_suspended_workshop_and_other_organizations_are_not_listed(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await make_service(runtime)  # the default workshop's
    await make_workshop_org(runtime, name="Closed Garage", status=OrganizationStatus.SUSPENDED)
    open_one = await make_workshop_org(runtime, name="Open Garage")
    fleet = await make_fleet(runtime, client)  # a partner organization: not a workshop

    body = (await client.get("/v1/workshops", headers=fleet.headers)).json()

    assert [w["id"] for w in body["data"]] == [DEFAULT_WORKSHOP_ID, open_one.id]


async def test_workshops_are_paginated(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await make_service(runtime)  # the default workshop's: "EVCare Workshop"
    for name in ("A Garage", "B Garage"):
        await make_workshop_org(runtime, name=name)
    _, headers = await signed_in(runtime, client, Role.USER)

    body = (await client.get("/v1/workshops?page=2&limit=2", headers=headers)).json()

    assert [w["name"] for w in body["data"]] == [DEFAULT_WORKSHOP_NAME]
    assert body["pagination"] == {"page": 2, "limit": 2, "total": 3, "totalPages": 2}


async def test_listing_workshops_needs_a_token(client: httpx.AsyncClient) -> None:
    assert_hub_error(await client.get("/v1/workshops"), 401, "UNAUTHORIZED")


async def test_a_bundle_without_services_is_bundle_forbidden(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    fleet = await make_fleet(runtime, client, bundles=["ORGANIZATION_ACCESS"])
    assert_hub_error(
        await client.get("/v1/workshops", headers=fleet.headers), 403, "BUNDLE_FORBIDDEN"
    )


async def test_a_bad_page_is_a_validation_error(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    fleet = await make_fleet(runtime, client)
    body = assert_hub_error(
        await client.get("/v1/workshops?limit=0", headers=fleet.headers), 422, "VALIDATION_ERROR"
    )
    assert body["details"][0]["field"] == "limit"
