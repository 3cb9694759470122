"""Hub /v1/integrations (admin): CRUD, credentials shown once and stored hashed, rotation
with overlap, revocation and deletion that stop every token at once, readiness, bundles
and the questionnaire."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from evcare.core.clock import clock
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.integrations.models import IntegrationSecret
from tests.factories.identity import bearer, signed_in
from tests.factories.integrations import (
    admin_headers,
    client_token,
    create_integration,
    partner_user,
)

INTEGRATION_FIELDS = {
    "id",
    "name",
    "organizationId",
    "status",
    "bundles",
    "allowedEndpoints",
    "redirectUris",
    "contactEmail",
    "clientId",
    "secretRotatedAt",
    "credentialsRevokedAt",
    "createdAt",
    "updatedAt",
}


async def test_creating_an_integration_shows_the_secret_once_and_stores_only_its_hash(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await admin_headers(runtime, client)
    created = await create_integration(
        client,
        admin,
        bundles=["CLIENT_ACCESS", "ORGANIZATION_ACCESS"],
        allowedEndpoints=["get /api/v1/profile"],
        redirectUris=["https://partner.example/callback"],
    )
    integration, credentials = created["integration"], created["credentials"]
    assert set(integration) == INTEGRATION_FIELDS
    assert integration["id"].startswith("int_")
    assert integration["organizationId"].startswith("org_")
    assert integration["bundles"] == ["CLIENT_ACCESS", "ORGANIZATION_ACCESS"]
    assert integration["allowedEndpoints"] == ["GET /api/v1/profile"]
    assert credentials["clientId"].startswith("evc_ci_") == integration["clientId"].startswith(
        "evc_ci_"
    )
    assert credentials["clientSecret"].startswith("evc_cs_")
    again = await client.get(f"/v1/integrations/{integration['id']}", headers=admin)
    assert again.status_code == 200 and "clientSecret" not in again.text
    assert credentials["clientSecret"] not in again.text
    async with runtime.sessionmaker() as session:
        stored = (await session.scalars(select(IntegrationSecret.secret_hash))).all()
    assert stored and all(credentials["clientSecret"] not in value for value in stored)
    listed = await client.get("/v1/integrations?status=active", headers=admin)
    assert [item["id"] for item in listed.json()["data"]] == [integration["id"]]
    assert listed.json()["pagination"]["total"] == 1
    suspended = await client.get("/v1/integrations?status=suspended", headers=admin)
    assert suspended.json()["data"] == []


async def test_integration_admin_needs_a_token_and_the_admin_role(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    assert (await client.get("/v1/integrations")).json()["code"] == "UNAUTHORIZED"
    _, user = await signed_in(runtime, client, Role.FLEET_MANAGER)
    refused = await client.post(
        "/v1/integrations",
        headers=user,
        json={"name": "x", "bundles": ["CLIENT_ACCESS"], "contactEmail": "a@b.example"},
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    # A partner's own token is not an admin either.
    admin = await admin_headers(runtime, client)
    created = await create_integration(client, admin, bundles=["ALL_ACCESS"])
    token = await client_token(client, created["credentials"])
    forbidden = await client.get("/v1/integrations", headers=bearer(token))
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "FORBIDDEN")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"bundles": ["NO_SUCH_BUNDLE"]}, "bundles.0"),
        ({"bundles": []}, "bundles"),
        ({"allowedEndpoints": ["GET /api/v1/no-such-route"]}, "allowedEndpoints.0"),
        ({"allowedEndpoints": ["/api/v1/profile"]}, "allowedEndpoints.0"),
        ({"redirectUris": ["not a url"]}, "redirectUris.0"),
        ({"contactEmail": "nobody"}, "contactEmail"),
        ({"organizationId": "org_abc", "organizationName": "Both"}, "body"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_bad_integration_input_is_a_422_that_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, body: dict[str, object], field: str
) -> None:
    admin = await admin_headers(runtime, client)
    payload = {"name": "Bad", "bundles": ["CLIENT_ACCESS"], "contactEmail": "a@b.example"}
    response = await client.post("/v1/integrations", json={**payload, **body}, headers=admin)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["code"] == "VALIDATION_ERROR" and set(error) == {
        "code",
        "message",
        "requestId",
        "details",
    }
    assert field in [item["field"] for item in error["details"]]
    assert (await client.get("/v1/integrations", headers=admin)).json()["data"] == []


@pytest.mark.parametrize("raw", ["int_", "int_%C2%B2", "int_ABC", "org_abc", "x" * 60, "1"])
async def test_malformed_or_unknown_integration_ids_are_404_in_the_hub_shape(
    client: httpx.AsyncClient, runtime: Runtime, raw: str
) -> None:
    admin = await admin_headers(runtime, client)
    for method, suffix in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/readiness")):
        response = await client.request(
            method, f"/v1/integrations/{raw}{suffix}", headers=admin, json={}
        )
        assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND"), raw
    unknown = await client.get("/v1/integrations/int_0123456789abcdef0123", headers=admin)
    assert unknown.status_code == 404


async def test_patch_changes_bundles_and_status_for_live_tokens_at_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await admin_headers(runtime, client)
    created = await create_integration(client, admin, bundles=["ORGANIZATION_ACCESS"])
    integration_id = created["integration"]["id"]
    token = bearer(await client_token(client, created["credentials"]))
    assert (await client.get("/v1/organizations/me", headers=token)).status_code == 200
    patched = await client.patch(
        f"/v1/integrations/{integration_id}", headers=admin, json={"bundles": ["CLIENT_ACCESS"]}
    )
    assert patched.json()["bundles"] == ["CLIENT_ACCESS"]
    narrowed = await client.get("/v1/organizations/me", headers=token)
    assert (narrowed.status_code, narrowed.json()["code"]) == (403, "BUNDLE_FORBIDDEN")
    await client.patch(
        f"/v1/integrations/{integration_id}", headers=admin, json={"status": "suspended"}
    )
    refused = await client.get("/api/v1/profile", headers=token)
    assert refused.status_code == 403
    sign_in = await client.post("/v1/integrations/auth/client-token", json=created["credentials"])
    assert (sign_in.status_code, sign_in.json()["code"]) == (403, "FORBIDDEN")
    bad = await client.patch(
        f"/v1/integrations/{integration_id}", headers=admin, json={"status": "deleted"}
    )
    assert bad.status_code == 422


async def test_rotation_keeps_the_previous_secret_for_the_overlap_then_refuses_it(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    admin = await admin_headers(runtime, client)
    created = await create_integration(client, admin)
    integration_id, old = created["integration"]["id"], created["credentials"]
    too_long = await client.post(
        f"/v1/integrations/{integration_id}/credentials/rotate",
        headers=admin,
        json={"overlapSeconds": 604_801},
    )
    assert (too_long.status_code, too_long.json()["code"]) == (422, "VALIDATION_ERROR")
    rotated = await client.post(
        f"/v1/integrations/{integration_id}/credentials/rotate",
        headers=admin,
        json={"overlapSeconds": 3600},
    )
    assert rotated.status_code == 200
    body = rotated.json()
    assert set(body) == {"clientId", "clientSecret", "previousSecretExpiresAt"}
    assert body["clientId"] == old["clientId"] and body["clientSecret"] != old["clientSecret"]
    assert rotated.headers["cache-control"] == "no-store"
    new = {"clientId": body["clientId"], "clientSecret": body["clientSecret"]}
    await client_token(client, old)
    await client_token(client, new)
    clock.advance(timedelta(seconds=3601))
    refused = await client.post("/v1/integrations/auth/client-token", json=old)
    assert (refused.status_code, refused.json()["code"]) == (401, "INVALID_CREDENTIALS")
    await client_token(client, new)


async def test_revoking_credentials_stops_every_secret_and_token_at_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await admin_headers(runtime, client)
    created = await create_integration(client, admin)
    integration_id = created["integration"]["id"]
    token = bearer(await client_token(client, created["credentials"]))
    user = await partner_user(client, created)
    user_token = bearer(user["accessToken"])
    assert (await client.get("/api/v1/profile", headers=user_token)).status_code == 200
    revoked = await client.post(
        f"/v1/integrations/{integration_id}/credentials/revoke", headers=admin
    )
    assert revoked.status_code == 200 and revoked.json()["credentialsRevokedAt"] is not None
    for headers in (token, user_token):
        refused = await client.get("/v1/me", headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (401, "TOKEN_REVOKED")
    refresh = await client.post(
        "/api/v1/auth/refresh-token", json={"refreshToken": user["refreshToken"]}
    )
    assert refresh.status_code == 401
    again = await client.post("/v1/integrations/auth/client-token", json=created["credentials"])
    assert again.json()["code"] == "INVALID_CREDENTIALS"


async def test_deleting_an_integration_stops_its_tokens_and_its_users_tokens(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await admin_headers(runtime, client)
    created = await create_integration(client, admin)
    integration_id = created["integration"]["id"]
    token = bearer(await client_token(client, created["credentials"]))
    user_token = bearer((await partner_user(client, created))["accessToken"])
    deleted = await client.delete(f"/v1/integrations/{integration_id}", headers=admin)
    assert deleted.status_code == 204
    for headers in (token, user_token):
        refused = await client.get("/v1/me", headers=headers)
        assert (refused.status_code, refused.json()["code"]) == (401, "TOKEN_REVOKED")
    assert (
        await client.get(f"/v1/integrations/{integration_id}", headers=admin)
    ).status_code == 404
    sign_in = await client.post("/v1/integrations/auth/client-token", json=created["credentials"])
    assert sign_in.json()["code"] == "INVALID_CREDENTIALS"


async def test_readiness_is_computed_from_the_integration(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await admin_headers(runtime, client)
    created = await create_integration(
        client, admin, bundles=["ALL_ACCESS"], redirectUris=["http://partner.example/cb"]
    )
    integration_id = created["integration"]["id"]
    body = (await client.get(f"/v1/integrations/{integration_id}/readiness", headers=admin)).json()
    checks = {check["check"]: check["passed"] for check in body["checks"]}
    assert body["integrationId"] == integration_id and body["ready"] is False
    assert checks["redirect_uris_https"] is False
    assert checks["allowlist_not_empty"] is False
    assert checks["least_privilege_bundles"] is False
    assert checks["secret_rotated_within_90_days"] is True
    assert all(check["hint"] for check in body["checks"])
    await client.patch(
        f"/v1/integrations/{integration_id}",
        headers=admin,
        json={
            "redirectUris": ["https://partner.example/cb"],
            "allowedEndpoints": ["GET /api/v1/profile"],
            "bundles": ["CLIENT_ACCESS"],
        },
    )
    after = (await client.get(f"/v1/integrations/{integration_id}/readiness", headers=admin)).json()
    passed = {check["check"]: check["passed"] for check in after["checks"]}
    assert passed["redirect_uris_https"] and passed["allowlist_not_empty"]
    assert passed["least_privilege_bundles"]


async def test_readiness_fails_once_the_secret_is_90_days_old(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    admin = await admin_headers(runtime, client)
    created = await create_integration(client, admin)
    clock.advance(timedelta(days=90))
    admin = await admin_headers(runtime, client)
    body = (
        await client.get(
            f"/v1/integrations/{created['integration']['id']}/readiness", headers=admin
        )
    ).json()
    checks = {check["check"]: check["passed"] for check in body["checks"]}
    assert checks["secret_rotated_within_90_days"] is False


async def test_bundles_list_the_endpoints_their_scopes_reach(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1/integrations/bundles")).json()
    bundles = {item["bundle"]: item for item in body["data"]}
    assert set(bundles) == {
        "ORGANIZATION_ACCESS",
        "FLEET_MANAGER_ACCESS",
        "CLIENT_ACCESS",
        "ALL_ACCESS",
    }

    def keys(name: str) -> set[str]:
        return {f"{e['method']} {e['path']}" for e in bundles[name]["endpoints"]}

    assert "GET /v1/organizations/me/accounts" in keys("ORGANIZATION_ACCESS")
    assert "GET /v1/organizations/me" not in keys("CLIENT_ACCESS")
    assert "GET /api/v1/profile/vehicles" in keys("CLIENT_ACCESS")
    assert "POST /v1/integrations/auth/exchange" in keys("CLIENT_ACCESS")
    assert "POST /v1/integrations" not in keys("ALL_ACCESS")
    for name in ("ORGANIZATION_ACCESS", "FLEET_MANAGER_ACCESS", "CLIENT_ACCESS"):
        assert keys(name) <= keys("ALL_ACCESS")
        assert set(bundles[name]["scopes"]) <= set(bundles["ALL_ACCESS"]["scopes"])
    assert bundles["CLIENT_ACCESS"]["roleHints"] == ["CLIENT"]


async def test_the_questionnaire_recommends_bundles_by_fixed_rules(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await admin_headers(runtime, client)
    url = "/v1/integrations/questionnaire/recommend"
    fleet = await client.post(
        url, headers=admin, json={"answers": {"managesFleet": True, "hasDrivers": True}}
    )
    assert fleet.status_code == 200
    assert fleet.json()["recommendedBundles"] == ["FLEET_MANAGER_ACCESS"]
    assert fleet.json()["confidence"] == 1.0 and len(fleet.json()["rationale"]) == 2
    both = (
        await client.post(
            url, headers=admin, json={"answers": {"managesFleet": True, "needsSignIn": True}}
        )
    ).json()
    assert both["recommendedBundles"] == ["FLEET_MANAGER_ACCESS", "CLIENT_ACCESS"]
    assert both["confidence"] == 0.85 and "FEDERATE:USERS" in both["scopeHints"]
    embed = (await client.post(url, headers=admin, json={"answers": {"embedsPortal": True}})).json()
    assert embed["recommendedBundles"] == ["ALL_ACCESS"]
    nothing = (await client.post(url, headers=admin, json={"answers": {}})).json()
    assert nothing["recommendedBundles"] == ["CLIENT_ACCESS"] and nothing["confidence"] == 0.7
    unknown = await client.post(url, headers=admin, json={"answers": {"sellsIceCream": True}})
    assert unknown.status_code == 422
    _, user = await signed_in(runtime, client)
    assert (await client.post(url, headers=user, json={"answers": {}})).status_code == 403
    assert (await client.post(url, json={"answers": {}})).status_code == 401
