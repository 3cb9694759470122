"""The admin UI's integrations over plain HTTP: the secret shown once, access edits,
rotation and revocation, through the same services as the hub's admin API."""

from __future__ import annotations

import re

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.console import console_sign_in, csrf_of
from tests.factories.identity import make_user

SECRET = re.compile(r'<code id="secret-value">(evc_cs_[^<]+)</code>')
CLIENT_ID = re.compile(r'<code id="client-id">(evc_ci_[^<]+)</code>')


async def _admin(client: httpx.AsyncClient, runtime: Runtime) -> str:
    await console_sign_in(client, await make_user(runtime, role=Role.ADMIN))
    return csrf_of(await client.get("/admin/integrations"))


async def _create(client: httpx.AsyncClient, token: str, **fields: object) -> httpx.Response:
    data: dict[str, object] = {
        "csrf_token": token,
        "name": "Acme Rides",
        "contact_email": "dev@acme.example",
        "bundles": ["CLIENT_ACCESS"],
        **fields,
    }
    return await client.post("/admin/integrations", data=data)


def _integration_id(page: httpx.Response) -> str:
    found = re.search(r'href="/admin/integrations/(int_[0-9a-f]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def test_a_created_integrations_secret_is_shown_once_and_works(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    token = await _admin(client, runtime)
    created = await _create(client, token)
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    secret = SECRET.search(created.text)
    client_id = CLIENT_ID.search(created.text)
    assert secret and client_id
    assert "shown only once" in created.text
    integration_id = _integration_id(created)
    listing = await client.get("/admin/integrations")
    detail = await client.get(f"/admin/integrations/{integration_id}")
    assert "Acme Rides" in listing.text and detail.status_code == 200
    for page in (listing, detail):
        assert secret.group(1) not in page.text
    issued = await client.post(
        "/v1/integrations/auth/client-token",
        json={"clientId": client_id.group(1), "clientSecret": secret.group(1)},
    )
    assert issued.status_code == 200


async def test_creating_refuses_an_allowlist_entry_naming_no_route(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    token = await _admin(client, runtime)
    refused = await _create(client, token, allowed_endpoints="GET /nowhere\n")
    assert refused.status_code == 422
    assert "allowedEndpoints.0: names no route" in refused.text
    assert "GET /nowhere" in refused.text  # the form keeps what was typed
    no_bundle = await _create(client, token, bundles=[])
    assert no_bundle.status_code == 422
    assert "bundles" in no_bundle.text


async def test_bundles_allowlist_and_status_are_saved(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    token = await _admin(client, runtime)
    integration_id = _integration_id(await _create(client, token))
    saved = await client.post(
        f"/admin/integrations/{integration_id}",
        data={
            "csrf_token": token,
            "name": "Acme Rides 2",
            "status": "suspended",
            "bundles": ["CLIENT_ACCESS", "FLEET_MANAGER_ACCESS"],
            "allowed_endpoints": "get /api/v1/auth/me\nGET /api/v1/sessions\n",
            "redirect_uris": "https://acme.example/back",
        },
    )
    assert saved.status_code == 303, re.findall(r"<li>(.*?)</li>", saved.text)
    assert saved.headers["location"] == f"/admin/integrations/{integration_id}?notice=saved"
    page = await client.get(saved.headers["location"])
    assert "Saved." in page.text
    assert "GET /api/v1/auth/me\nGET /api/v1/sessions</textarea>" in page.text
    assert 'value="FLEET_MANAGER_ACCESS" checked' in page.text
    assert '<option value="suspended" selected>' in page.text
    bad = await client.post(
        f"/admin/integrations/{integration_id}",
        data={"csrf_token": token, "bundles": ["CLIENT_ACCESS"], "allowed_endpoints": "PUT /x"},
    )
    assert bad.status_code == 422
    assert "names no route" in bad.text


async def test_rotating_shows_the_new_secret_once_and_revoking_stops_it(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    token = await _admin(client, runtime)
    created = await _create(client, token)
    integration_id = _integration_id(created)
    client_id = CLIENT_ID.search(created.text)
    assert client_id
    rotated = await client.post(
        f"/admin/integrations/{integration_id}/credentials/rotate",
        data={"csrf_token": token, "overlap_seconds": "0"},
    )
    assert rotated.status_code == 200
    new_secret = SECRET.search(rotated.text)
    assert new_secret
    body = {"clientId": client_id.group(1), "clientSecret": new_secret.group(1)}
    assert (await client.post("/v1/integrations/auth/client-token", json=body)).status_code == 200
    revoked = await client.post(
        f"/admin/integrations/{integration_id}/credentials/revoke", data={"csrf_token": token}
    )
    assert revoked.status_code == 303
    assert (await client.post("/v1/integrations/auth/client-token", json=body)).status_code == 401
    page = await client.get(revoked.headers["location"])
    assert "credentials revoked" in page.text
    bad = await client.post(
        f"/admin/integrations/{integration_id}/credentials/rotate",
        data={"csrf_token": token, "overlap_seconds": "-5"},
    )
    assert bad.status_code == 422


async def test_the_integration_pages_are_for_admins_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    anonymous = await client.get("/admin/integrations")
    assert anonymous.status_code == 303
    for role in (Role.BRAND, Role.FRANCHISE, Role.USER):
        await console_sign_in(client, await make_user(runtime, role=role))
        assert (await client.get("/admin/integrations")).status_code == 403
        token = csrf_of(await client.get("/developer-hub"))
        refused = await _create(client, token)
        assert refused.status_code == 403


async def test_an_unknown_integration_is_a_404_page_and_a_bad_id_a_422(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await _admin(client, runtime)
    missing = await client.get("/admin/integrations/int_00000000000000000000")
    assert missing.status_code == 404
    assert "Integration not found" in missing.text
    assert (await client.get("/admin/integrations/nope")).status_code == 422


async def test_creating_without_the_csrf_token_changes_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await _admin(client, runtime)
    refused = await _create(client, "0" * 64)
    assert refused.status_code == 403
    assert "No integrations yet." in (await client.get("/admin/integrations")).text
