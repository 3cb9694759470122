"""EV-CMS /api/v1/partners: organizations (the hub's) listed as partners with type and status."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.factories.integrations import create_integration
from tests.surfaces.cms.test_auth import assert_cms_error

PARTNER_FIELDS = {
    "id",
    "name",
    "email",
    "phone",
    "type",
    "address",
    "status",
    "createdAt",
    "updatedAt",
}
BODY: dict[str, Any] = {
    "name": "FleetCo Logistics",
    "email": "ops@fleetco.example",
    "phone": "+91 98000 22222",
    "type": "fleet",
    "address": "Whitefield, Bengaluru",
}


async def test_an_admin_creates_a_partner_in_the_documented_shape(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    created = await client.post("/api/v1/partners", json=BODY, headers=admin)
    assert created.status_code == 201, created.text
    partner = created.json()["data"]["partner"]
    assert set(partner) == PARTNER_FIELDS
    assert partner["id"].startswith("org_") and partner["status"] == "active"
    assert {k: partner[k] for k in BODY} == BODY
    listed = await client.get("/api/v1/partners", headers=admin)
    assert listed.status_code == 200, listed.text
    assert listed.json()["data"]["partners"] == [partner]
    assert listed.json()["pagination"]["total"] == 1


async def test_an_organization_made_through_the_hub_is_a_partner(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    await create_integration(client, admin, organizationName="Hub Platform Ltd")
    listed = await client.get("/api/v1/partners?type=partner", headers=admin)
    assert listed.status_code == 200, listed.text
    [partner] = listed.json()["data"]["partners"]
    assert partner["name"] == "Hub Platform Ltd" and partner["status"] == "active"
    assert partner["email"] is None  # the hub asks for no contact details
    taken = {**BODY, "name": "hub platform ltd"}
    assert_cms_error(await client.post("/api/v1/partners", json=taken, headers=admin), 409)


async def test_a_partner_name_in_use_is_a_409(runtime: Runtime, client: httpx.AsyncClient) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    assert (await client.post("/api/v1/partners", json=BODY, headers=admin)).status_code == 201
    again = {**BODY, "name": BODY["name"].upper()}
    assert_cms_error(await client.post("/api/v1/partners", json=again, headers=admin), 409)


async def test_brands_list_partners_filtered_by_type_and_status(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    for name, kind, status in [
        ("A Fleet", "fleet", "active"),
        ("A Workshop", "workshop", "active"),
        ("An Old Fleet", "fleet", "inactive"),
    ]:
        body = {**BODY, "name": name, "type": kind, "status": status}
        assert (await client.post("/api/v1/partners", json=body, headers=admin)).status_code == 201
    _, brand = await signed_in(runtime, client, Role.BRAND)

    async def names(query: str) -> list[str]:
        response = await client.get(f"/api/v1/partners?{query}", headers=brand)
        assert response.status_code == 200, response.text
        return [p["name"] for p in response.json()["data"]["partners"]]

    assert await names("type=fleet") == ["A Fleet", "An Old Fleet"]
    assert await names("type=fleet&status=active") == ["A Fleet"]
    assert await names("status=active&limit=1&page=2") == ["A Workshop"]


async def test_anonymous_callers_get_401(client: httpx.AsyncClient) -> None:
    assert_cms_error(await client.post("/api/v1/partners", json=BODY), 401)
    assert_cms_error(await client.get("/api/v1/partners"), 401)


@pytest.mark.parametrize("role", [Role.BRAND, Role.FRANCHISE, Role.USER])
async def test_only_admins_create_partners(
    runtime: Runtime, client: httpx.AsyncClient, role: Role
) -> None:
    _, headers = await signed_in(runtime, client, role)
    refused = await client.post("/api/v1/partners", json=BODY, headers=headers)
    assert assert_cms_error(refused, 403)["message"] == "WRITE:PARTNERS scope required"


@pytest.mark.parametrize("role", [Role.FRANCHISE, Role.USER, Role.MECHANIC])
async def test_only_admins_and_brands_list_partners(
    runtime: Runtime, client: httpx.AsyncClient, role: Role
) -> None:
    _, headers = await signed_in(runtime, client, role)
    refused = await client.get("/api/v1/partners", headers=headers)
    assert assert_cms_error(refused, 403)["message"] == "READ:PARTNERS scope required"


@pytest.mark.parametrize(
    "change",
    [
        {"type": "bank"},
        {"email": "nope"},
        {"phone": "12"},
        {"name": ""},
        {"status": "gone"},
        {"extra": True},
    ],
)
async def test_a_bad_partner_is_a_422_naming_the_field(
    runtime: Runtime, client: httpx.AsyncClient, change: dict[str, Any]
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    refused = await client.post("/api/v1/partners", json={**BODY, **change}, headers=admin)
    errors = assert_cms_error(refused, 422)["errors"]
    assert isinstance(errors, list) and errors[0]["field"] == next(iter(change))


async def test_bad_list_queries_are_422(runtime: Runtime, client: httpx.AsyncClient) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    for query in ("type=bank", "status=gone", "limit=0"):
        assert_cms_error(await client.get(f"/api/v1/partners?{query}", headers=admin), 422)
