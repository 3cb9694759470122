"""Hub /v1/organizations/me: the caller's organization and its subordinate accounts."""

from __future__ import annotations

import httpx
import pytest

from evcare.core.runtime import Runtime
from tests.factories.identity import bearer, signed_in
from tests.factories.integrations import (
    admin_headers,
    client_token,
    create_integration,
    partner_user,
)

ACCOUNT_FIELDS = {"id", "userId", "email", "name", "role", "status", "createdAt"}


async def _org_token(client: httpx.AsyncClient, runtime: Runtime) -> tuple[dict, dict]:  # type: ignore[type-arg]
    created = await create_integration(
        client,
        await admin_headers(runtime, client),
        bundles=["ORGANIZATION_ACCESS"],
        organizationName="Volt Fleet",
    )
    return created, bearer(await client_token(client, created["credentials"]))


async def test_an_integration_reads_and_renames_its_organization(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created, token = await _org_token(client, runtime)
    me = await client.get("/v1/organizations/me", headers=token)
    assert me.status_code == 200
    assert set(me.json()) == {"id", "name", "kind", "createdAt", "updatedAt"}
    assert me.json()["id"] == created["integration"]["organizationId"]
    assert (me.json()["name"], me.json()["kind"]) == ("Volt Fleet", "partner")
    renamed = await client.patch("/v1/organizations/me", headers=token, json={"name": "Volt"})
    assert renamed.json()["name"] == "Volt"
    assert (await client.patch("/v1/organizations/me", headers=token, json={})).status_code == 422


async def test_organization_names_are_unique_after_nfkc_casefold(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await admin_headers(runtime, client)
    await create_integration(client, admin, organizationName="Élan")
    again = await client.post(
        "/v1/integrations",
        headers=admin,
        json={
            "name": "Second",
            "organizationName": "ÉLAN",
            "bundles": ["CLIENT_ACCESS"],
            "contactEmail": "x@y.example",
        },
    )
    assert (again.status_code, again.json()["code"]) == (409, "CONFLICT")


async def test_accounts_are_created_listed_changed_and_removed_inside_the_organization(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, token = await _org_token(client, runtime)
    made = await client.post(
        "/v1/organizations/me/accounts",
        headers=token,
        json={"email": "Driver@Fleet.example", "name": "Dee River", "role": "DRIVER"},
    )
    assert made.status_code == 201, made.text
    account = made.json()
    assert set(account) == ACCOUNT_FIELDS and account["id"].startswith("acc_")
    assert (account["email"], account["role"]) == ("driver@fleet.example", "DRIVER")
    listed = (await client.get("/v1/organizations/me/accounts", headers=token)).json()
    assert [item["id"] for item in listed["data"]] == [account["id"]]
    assert listed["pagination"] == {"page": 1, "limit": 10, "total": 1, "totalPages": 1}
    url = f"/v1/organizations/me/accounts/{account['id']}"
    assert (await client.get(url, headers=token)).json() == account
    changed = await client.patch(url, headers=token, json={"role": "FLEET_MANAGER"})
    assert changed.json()["role"] == "FLEET_MANAGER"
    taken = await client.post(
        "/v1/organizations/me/accounts",
        headers=token,
        json={"email": "driver@fleet.example", "name": "Twin", "role": "CLIENT"},
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "CONFLICT")
    assert (await client.delete(url, headers=token)).status_code == 204
    assert (await client.get(url, headers=token)).status_code == 404


async def test_another_organizations_account_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, mine = await _org_token(client, runtime)
    other = await create_integration(
        client, await admin_headers(runtime, client), bundles=["ORGANIZATION_ACCESS"]
    )
    theirs = bearer(await client_token(client, other["credentials"]))
    account = (
        await client.post(
            "/v1/organizations/me/accounts",
            headers=theirs,
            json={"email": "c@their.example", "name": "C", "role": "CLIENT"},
        )
    ).json()
    url = f"/v1/organizations/me/accounts/{account['id']}"
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(method, url, headers=mine, json={"name": "X"})
        assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")
    assert (await client.get(url, headers=theirs)).status_code == 200


@pytest.mark.parametrize("raw", ["acc_", "acc_%C2%B2", "ACC_1", "int_abc", "acc_" + "a" * 50])
async def test_malformed_account_ids_are_404(
    client: httpx.AsyncClient, runtime: Runtime, raw: str
) -> None:
    _, token = await _org_token(client, runtime)
    response = await client.get(f"/v1/organizations/me/accounts/{raw}", headers=token)
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")


async def test_organization_routes_refuse_who_may_not_use_them(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    assert (await client.get("/v1/organizations/me")).json()["code"] == "UNAUTHORIZED"
    # Without ORGANIZATION_ACCESS the integration's token is refused by its bundles.
    created = await create_integration(client, await admin_headers(runtime, client))
    token = bearer(await client_token(client, created["credentials"]))
    refused = await client.get("/v1/organizations/me", headers=token)
    assert (refused.status_code, refused.json()["code"]) == (403, "BUNDLE_FORBIDDEN")
    # A driver-customer has no organization scopes at all.
    _, user = await signed_in(runtime, client)
    assert (await client.get("/v1/organizations/me", headers=user)).json()["code"] == "FORBIDDEN"
    # A fleet manager outside any organization has none to read.
    _, manager = await signed_in(runtime, client, "fleet_manager")
    assert (await client.get("/v1/organizations/me", headers=manager)).status_code == 404
    bad = await client.post(
        "/v1/organizations/me/accounts",
        headers=bearer(
            await client_token(client, (await _org_token(client, runtime))[0]["credentials"])
        ),
        json={"email": "a@b.example", "name": "A", "role": "ADMIN"},
    )
    assert bad.status_code == 422


async def test_a_federated_organization_admin_manages_accounts_but_a_fleet_manager_only_reads(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await create_integration(
        client,
        await admin_headers(runtime, client),
        bundles=["ORGANIZATION_ACCESS", "FLEET_MANAGER_ACCESS"],
    )
    org_admin = bearer(
        (await partner_user(client, created, role_hint="ORGANIZATION_ADMIN"))["accessToken"]
    )
    manager = bearer(
        (await partner_user(client, created, role_hint="FLEET_MANAGER"))["accessToken"]
    )
    listed = await client.get("/v1/organizations/me/accounts", headers=org_admin)
    assert listed.status_code == 200 and listed.json()["pagination"]["total"] == 2
    assert (await client.get("/v1/organizations/me", headers=manager)).status_code == 200
    refused = await client.get("/v1/organizations/me/accounts", headers=manager)
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
