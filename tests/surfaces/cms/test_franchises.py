"""EV-CMS /api/v1/franchises and /api/v1/partners/franchises: one service, one meaning."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories import franchises
from tests.factories.identity import bearer, login, make_user, signed_in
from tests.surfaces.cms.test_auth import assert_cms_error

FRANCHISE_FIELDS = {
    "id",
    "brandId",
    "name",
    "location",
    "contactPerson",
    "phone",
    "email",
    "status",
    "agreement",
    "stationCount",
    "staffCount",
    "createdAt",
    "updatedAt",
}
PAGINATION_FIELDS = {"total", "page", "limit", "totalPages", "hasNext", "hasPrev"}
BODY: dict[str, Any] = {
    "name": "Pune West",
    "location": "Baner Road, Pune",
    "contactPerson": "Asha Rao",
    "phone": "+91 98000 11111",
    "email": "west@franchise.example",
    "agreement": {"revenueShare": 37.5, "startDate": "2026-01-01", "endDate": "2028-12-31"},
}
BOTH = ("/api/v1/franchises", "/api/v1/partners/franchises")


@pytest.mark.parametrize("base", BOTH)
async def test_a_brand_creates_reads_and_lists_its_franchise_in_the_documented_shape(
    runtime: Runtime, client: httpx.AsyncClient, base: str
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    created = await client.post(base, json=BODY, headers=headers)
    assert created.status_code == 201, created.text
    franchise = created.json()["data"]["franchise"]
    assert set(franchise) == FRANCHISE_FIELDS
    assert franchise["brandId"] == str(brand.id) and franchise["status"] == "active"
    assert franchise["agreement"] == {
        "revenueShare": 37.5,
        "startDate": "2026-01-01",
        "endDate": "2028-12-31",
    }
    assert franchise["stationCount"] == 0 and franchise["staffCount"] == 0
    for path in BOTH:  # created at one path, the same object at the other
        got = await client.get(f"{path}/{franchise['id']}", headers=headers)
        assert got.status_code == 200, got.text
        assert got.json()["data"]["franchise"] == franchise
        listed = await client.get(path, headers=headers)
        assert listed.status_code == 200, listed.text
        body = listed.json()
        assert body["data"]["franchises"] == [franchise]
        assert set(body["pagination"]) == PAGINATION_FIELDS and body["pagination"]["total"] == 1


async def test_the_seed_body_without_an_agreement_gives_a_zero_share(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, headers = await signed_in(runtime, client, Role.BRAND)
    body = {k: v for k, v in BODY.items() if k != "agreement"}
    created = await client.post("/api/v1/franchises", json=body, headers=headers)
    assert created.status_code == 201, created.text
    agreement = created.json()["data"]["franchise"]["agreement"]
    assert agreement == {"revenueShare": 0, "startDate": None, "endDate": None}


async def test_list_filters_by_status_and_search(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    active = await franchises.make_franchise(runtime, brand)
    await franchises.make_franchise(runtime, brand, status="suspended")
    found = await client.get("/api/v1/franchises?status=active", headers=headers)
    assert [f["id"] for f in found.json()["data"]["franchises"]] == [str(active.id)]
    found = await client.get("/api/v1/partners/franchises?status=suspended", headers=headers)
    assert found.json()["pagination"]["total"] == 1
    searched = await client.get(f"/api/v1/franchises?search={active.name[-3:]}", headers=headers)
    assert [f["id"] for f in searched.json()["data"]["franchises"]] == [str(active.id)]


async def test_an_admin_creates_for_a_named_brand_and_sees_every_franchise(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    other = await make_user(runtime, role=Role.BRAND)
    await franchises.make_franchise(runtime, other)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    missing = await client.post("/api/v1/franchises", json=BODY, headers=admin)
    error = assert_cms_error(missing, 422)
    assert error["errors"] == [{"field": "brandId", "message": "an admin names the brand"}]
    driver = await make_user(runtime)
    wrong = await client.post(
        "/api/v1/franchises", json={**BODY, "brandId": str(driver.id)}, headers=admin
    )
    assert assert_cms_error(wrong, 422)["errors"] == [
        {"field": "brandId", "message": "not a brand user"}
    ]
    created = await client.post(
        "/api/v1/franchises", json={**BODY, "brandId": str(brand.id)}, headers=admin
    )
    assert created.status_code == 201, created.text
    assert created.json()["data"]["franchise"]["brandId"] == str(brand.id)
    listed = await client.get("/api/v1/franchises", headers=admin)
    assert listed.json()["pagination"]["total"] == 2


async def test_update_changes_name_status_and_agreement(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    franchise = await franchises.make_franchise(runtime, brand)
    changed = await client.put(
        f"/api/v1/franchises/{franchise.id}",
        json={"name": "Renamed", "status": "inactive", "agreement": {"revenueShare": 12.25}},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()["data"]["franchise"]
    assert body["name"] == "Renamed" and body["status"] == "inactive"
    assert body["agreement"]["revenueShare"] == 12.25
    assert body["location"] == franchise.location  # untouched


async def test_anonymous_callers_get_401_on_every_route(client: httpx.AsyncClient) -> None:
    calls = [
        ("GET", "/api/v1/franchises"),
        ("POST", "/api/v1/franchises"),
        ("GET", "/api/v1/franchises/1"),
        ("PUT", "/api/v1/franchises/1"),
        ("DELETE", "/api/v1/franchises/1"),
        ("GET", "/api/v1/franchises/1/staff"),
        ("POST", "/api/v1/franchises/1/staff"),
        ("DELETE", "/api/v1/franchises/1/staff/2"),
        ("GET", "/api/v1/partners/franchises"),
        ("POST", "/api/v1/partners/franchises"),
        ("GET", "/api/v1/partners/franchises/1"),
    ]
    for method, path in calls:
        assert_cms_error(await client.request(method, path, json=BODY), 401)


@pytest.mark.parametrize("role", [Role.USER, Role.FRANCHISE, Role.MECHANIC])
async def test_drivers_staff_and_others_get_403(
    runtime: Runtime, client: httpx.AsyncClient, role: Role
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    franchise = await franchises.make_franchise(runtime, brand)
    _, headers = await signed_in(runtime, client, role)
    for method, path in [
        ("GET", "/api/v1/franchises"),
        ("POST", "/api/v1/franchises"),
        ("GET", f"/api/v1/franchises/{franchise.id}"),
        ("PUT", f"/api/v1/franchises/{franchise.id}"),
        ("GET", f"/api/v1/franchises/{franchise.id}/staff"),
        ("GET", "/api/v1/partners/franchises"),
        ("POST", "/api/v1/partners/franchises"),
        ("GET", f"/api/v1/partners/franchises/{franchise.id}"),
    ]:
        body = assert_cms_error(await client.request(method, path, json=BODY, headers=headers), 403)
        assert body["message"] == "MANAGE:FRANCHISES scope required"


async def test_only_admins_delete_a_franchise(runtime: Runtime, client: httpx.AsyncClient) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    franchise = await franchises.make_franchise(runtime, brand)
    refused = await client.delete(f"/api/v1/franchises/{franchise.id}", headers=headers)
    assert assert_cms_error(refused, 403)["message"] == "DELETE:FRANCHISES scope required"


async def test_brand_a_never_sees_brand_b_franchises(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand_a, _ = await signed_in(runtime, client, Role.BRAND)
    theirs = await franchises.make_franchise(runtime, brand_a)
    _, headers = await signed_in(runtime, client, Role.BRAND)
    staff_body = {"email": "x@staff.example", "name": "X", "password": "Password@123"}
    for method, path, body in [
        ("GET", f"/api/v1/franchises/{theirs.id}", None),
        ("PUT", f"/api/v1/franchises/{theirs.id}", {"name": "Mine now"}),
        ("GET", f"/api/v1/franchises/{theirs.id}/staff", None),
        ("POST", f"/api/v1/franchises/{theirs.id}/staff", staff_body),
        ("GET", f"/api/v1/partners/franchises/{theirs.id}", None),
    ]:
        response = await client.request(method, path, json=body, headers=headers)
        assert assert_cms_error(response, 404)["message"] == f"Franchise {theirs.id} not found"
    for path in BOTH:
        listed = await client.get(path, headers=headers)
        assert listed.json()["data"]["franchises"] == []
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    gone = await client.get("/api/v1/franchises/2147483647", headers=admin)
    assert_cms_error(gone, 404)
    malformed = await client.get("/api/v1/franchises/abc", headers=admin)
    assert_cms_error(malformed, 404)


@pytest.mark.parametrize(
    ("agreement", "field"),
    [
        ({"revenueShare": 100.01}, "agreement.revenueShare"),
        ({"revenueShare": -1}, "agreement.revenueShare"),
        ({"revenueShare": 10.125}, "agreement.revenueShare"),
        ({"revenueShare": 10, "startDate": "2026-05-01", "endDate": "2026-04-30"}, "agreement"),
        ({}, "agreement.revenueShare"),
    ],
)
async def test_an_agreement_outside_0_to_100_percent_or_out_of_order_is_a_422(
    runtime: Runtime, client: httpx.AsyncClient, agreement: dict[str, Any], field: str
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    refused = await client.post(
        "/api/v1/franchises", json={**BODY, "agreement": agreement}, headers=headers
    )
    errors = assert_cms_error(refused, 422)["errors"]
    assert isinstance(errors, list) and [e["field"] for e in errors] == [field]
    franchise = await franchises.make_franchise(runtime, brand)
    refused = await client.put(
        f"/api/v1/franchises/{franchise.id}", json={"agreement": agreement}, headers=headers
    )
    assert_cms_error(refused, 422)


async def test_bad_bodies_and_queries_are_422(runtime: Runtime, client: httpx.AsyncClient) -> None:
    _, headers = await signed_in(runtime, client, Role.BRAND)
    for body in (
        {**BODY, "name": ""},
        {**BODY, "email": "not-an-email"},
        {**BODY, "unknown": 1},
        {k: v for k, v in BODY.items() if k != "contactPerson"},
    ):
        for path in BOTH:
            assert_cms_error(await client.post(path, json=body, headers=headers), 422)
    for query in ("status=closed", "limit=101", "page=0"):
        assert_cms_error(await client.get(f"/api/v1/franchises?{query}", headers=headers), 422)
    assert_cms_error(
        await client.put("/api/v1/franchises/1", json={"status": "gone"}, headers=headers), 422
    )


# -- staff ---------------------------------------------------------------------------------


async def test_the_brand_invites_staff_who_sign_in_with_role_franchise(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    franchise = await franchises.make_franchise(runtime, brand)
    invite = {"email": "ravi@staff.example", "name": "Ravi Kumar", "password": "Welcome@123"}
    added = await client.post(
        f"/api/v1/franchises/{franchise.id}/staff", json=invite, headers=headers
    )
    assert added.status_code == 201, added.text
    member = added.json()["data"]["staff"]
    assert set(member) == {"id", "name", "email", "phone", "role", "status", "joinedAt"}
    assert member["role"] == "franchise" and member["email"] == "ravi@staff.example"
    listed = await client.get(f"/api/v1/franchises/{franchise.id}/staff", headers=headers)
    assert listed.status_code == 200, listed.text
    assert listed.json()["data"]["staff"] == [member]
    signed = await client.post(
        "/api/v1/auth/login", json={"email": invite["email"], "password": invite["password"]}
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["data"]["user"]["role"] == "franchise"
    again = await client.post(
        f"/api/v1/franchises/{franchise.id}/staff", json=invite, headers=headers
    )
    assert_cms_error(again, 409)  # an existing account is never taken over
    short = {**invite, "email": "p@staff.example", "password": "123"}
    refused = await client.post(
        f"/api/v1/franchises/{franchise.id}/staff", json=short, headers=headers
    )
    assert_cms_error(refused, 422)
    got = await client.get(f"/api/v1/franchises/{franchise.id}", headers=headers)
    assert got.json()["data"]["franchise"]["staffCount"] == 1


async def test_removing_staff_closes_the_account_and_ends_its_tokens(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    franchise = await franchises.make_franchise(runtime, brand)
    staff = await franchises.make_staff(runtime, franchise)
    staff_headers = bearer(await login(client, staff))
    assert (await client.get("/api/v1/stations", headers=staff_headers)).status_code == 200
    removed = await client.delete(
        f"/api/v1/franchises/{franchise.id}/staff/{staff.id}", headers=headers
    )
    assert removed.status_code == 200, removed.text
    assert_cms_error(await client.get("/api/v1/stations", headers=staff_headers), 401)
    again = await client.delete(
        f"/api/v1/franchises/{franchise.id}/staff/{staff.id}", headers=headers
    )
    assert_cms_error(again, 404)


async def test_deleting_a_franchise_returns_its_stations_to_the_brand(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    from tests.factories import charging

    brand, brand_headers = await signed_in(runtime, client, Role.BRAND)
    franchise = await franchises.make_franchise(runtime, brand)
    station = await charging.make_station(runtime, brand)
    await franchises.hand(runtime, station, franchise)
    staff = await franchises.make_staff(runtime, franchise)
    staff_headers = bearer(await login(client, staff))
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    deleted = await client.delete(f"/api/v1/franchises/{franchise.id}", headers=admin)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["data"] == {"success": True}
    assert_cms_error(await client.get(f"/api/v1/franchises/{franchise.id}", headers=admin), 404)
    got = await client.get(f"/api/v1/stations/{station.id}", headers=brand_headers)
    assert got.status_code == 200, got.text
    assert got.json()["data"]["station"]["ownerType"] == "brand"
    assert got.json()["data"]["station"]["franchiseId"] is None
    assert_cms_error(await client.get("/api/v1/stations", headers=staff_headers), 401)
