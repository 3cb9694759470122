"""The admin UI's users, stations and KYC pages over plain HTTP, through the same
services as EV-CMS's admin API."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.charging import make_station
from tests.factories.console import console_sign_in, csrf_of
from tests.factories.files import jpeg, uploaded
from tests.factories.identity import make_user, signed_in


async def _admin(client: httpx.AsyncClient, runtime: Runtime, page: str) -> str:
    await console_sign_in(client, await make_user(runtime, role=Role.ADMIN))
    return csrf_of(await client.get(page))


async def test_an_admin_finds_blocks_and_activates_a_user(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    driver = await make_user(runtime, role=Role.USER, first_name="Zelda", last_name="Quill")
    driver_token, _ = await signed_in(runtime, client, Role.USER)  # someone else, untouched
    token = await _admin(client, runtime, "/admin/users")
    found = await client.get("/admin/users", params={"search": "Zelda"})
    assert driver.email in found.text
    assert driver_token.email not in found.text
    login = await client.post(
        "/api/v1/auth/login", json={"email": driver.email, "password": "Password@123"}
    )
    api_token = login.json()["data"]["accessToken"]
    blocked = await client.post(
        f"/admin/users/{driver.id}/status",
        data={
            "csrf_token": token,
            "status": "blocked",
            "reason": "chargeback",
            "return_to": "/admin/users?search=Zelda",
        },
    )
    assert blocked.status_code == 303
    assert blocked.headers["location"] == "/admin/users?search=Zelda&notice=blocked"
    page = await client.get(blocked.headers["location"])
    assert "its sign-ins ended at once" in page.text
    assert '<td class="user-status">blocked<br><span class="muted">chargeback</span>' in page.text
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {api_token}"})
    assert me.status_code in (401, 403)
    active = await client.post(
        f"/admin/users/{driver.id}/status", data={"csrf_token": token, "status": "active"}
    )
    assert active.headers["location"] == "/admin/users?notice=active"


async def test_an_admin_restores_a_deleted_account(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    gone = await make_user(runtime, role=Role.USER)
    token = await _admin(client, runtime, "/admin/users")
    admin_token = client.cookies["evcare_access"]
    deleted = await client.delete(
        f"/api/v1/admin/users/{gone.id}", headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert deleted.status_code == 200
    listed = await client.get("/admin/users", params={"status": "deleted"})
    assert gone.email in listed.text and "Restore" in listed.text
    restored = await client.post(
        f"/admin/users/{gone.id}/restore",
        data={"csrf_token": token, "return_to": "/admin/users?status=deleted"},
    )
    assert restored.status_code == 303
    assert gone.email not in (await client.get(restored.headers["location"])).text


async def test_user_filters_and_forms_refuse_bad_input(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    other = await make_user(runtime, role=Role.USER)
    token = await _admin(client, runtime, "/admin/users")
    assert (await client.get("/admin/users", params={"status": "zombie"})).status_code == 422
    bad = await client.post(
        f"/admin/users/{other.id}/status", data={"csrf_token": token, "status": "gone"}
    )
    assert bad.status_code == 422
    missing = await client.post(
        "/admin/users/999999/status", data={"csrf_token": token, "status": "blocked"}
    )
    assert missing.status_code == 404
    no_csrf = await client.post(f"/admin/users/{other.id}/status", data={"status": "blocked"})
    assert no_csrf.status_code == 403


async def test_the_last_admin_cannot_block_themselves(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    await console_sign_in(client, admin)
    token = csrf_of(await client.get("/admin/users"))
    refused = await client.post(
        f"/admin/users/{admin.id}/status", data={"csrf_token": token, "status": "blocked"}
    )
    assert refused.status_code == 409
    assert "yourself" in refused.text


async def test_an_admin_verifies_a_station_and_withdraws_it(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await make_user(runtime, role=Role.BRAND)
    await make_station(runtime, owner, name="Lakeside Hub", verified=False)
    token = await _admin(client, runtime, "/admin/stations")
    waiting = await client.get("/admin/stations", params={"verified": "false"})
    assert "Lakeside Hub" in waiting.text
    page = await client.get("/admin/stations")
    action = 'action="/admin/stations/'
    assert action in page.text
    station_path = page.text.split(action, 1)[1].split("/verify", 1)[0]
    verified = await client.post(
        f"/admin/stations/{station_path}/verify",
        data={"csrf_token": token, "verified": "true", "notes": "site visited"},
    )
    assert verified.headers["location"] == "/admin/stations?notice=verified"
    shown = await client.get("/admin/stations", params={"verified": "true"})
    assert "site visited" in shown.text and "Lakeside Hub" in shown.text
    withdrawn = await client.post(
        f"/admin/stations/{station_path}/verify", data={"csrf_token": token, "verified": "false"}
    )
    assert withdrawn.headers["location"] == "/admin/stations?notice=withdrawn"


async def test_an_admin_approves_a_kyc_submission(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    person, headers = await signed_in(runtime, client, Role.USER)
    image = (await uploaded(client, headers, jpeg(), kind="document"))["url"]
    submitted = await client.post(
        "/api/v1/kyc/submit",
        json={"documentType": "aadhaar", "documentNumber": "2341 2341 2346", "frontImage": image},
        headers=headers,
    )
    assert submitted.status_code == 201, submitted.text
    token = await _admin(client, runtime, "/admin/kyc")
    queue = await client.get("/admin/kyc")
    assert "2341 2341 2346" not in queue.text  # shown masked, as the API shows it
    assert f'action="/admin/kyc/{person.id}/verify"' in queue.text
    approved = await client.post(
        f"/admin/kyc/{person.id}/verify",
        data={"csrf_token": token, "status": "approved", "notes": "matches"},
    )
    assert approved.headers["location"] == "/admin/kyc?notice=approved"
    assert "No submissions pending." in (await client.get("/admin/kyc")).text
    done = await client.get("/admin/kyc", params={"status": "approved"})
    assert '<td class="kyc-status">approved<br><span class="muted">matches</span>' in done.text


async def test_the_people_pages_are_for_admins_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await console_sign_in(client, await make_user(runtime, role=Role.BRAND))
    for path in ("/admin/users", "/admin/stations", "/admin/kyc"):
        assert (await client.get(path)).status_code == 403, path
