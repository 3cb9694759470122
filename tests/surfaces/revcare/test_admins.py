"""RevCare /admins/: CRUD by admins, ADM-style ids, and refusals for everyone else."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import PASSWORD, signed_in
from tests.surfaces.revcare.helpers import assert_revcare_error, revcare_login

NEW_ADMIN = {
    "first_name": "Akhil",
    "last_name": "Joseph",
    "email": "akhil@revcare.in",
    "phone": "9000000001",
}


async def test_an_admin_creates_reads_updates_and_deletes_an_admin(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    created = await client.post("/admins/", json=NEW_ADMIN, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"].startswith("ADM") and len(body["id"]) == 9
    assert {k: body[k] for k in ("first_name", "last_name", "email")} == {
        "first_name": "Akhil",
        "last_name": "Joseph",
        "email": "akhil@revcare.in",
    }
    assert "password" not in created.text and "hash" not in created.text

    listed = await client.get("/admins/", headers=headers)
    assert body["id"] in [admin["id"] for admin in listed.json()]
    fetched = await client.get(f"/admins/{body['id']}", headers=headers)
    assert fetched.json() == body

    updated = await client.put(
        f"/admins/{body['id']}", json={"last_name": "J", "password": "Secret#2026"}, headers=headers
    )
    assert updated.status_code == 200 and updated.json()["last_name"] == "J"
    await revcare_login(client, "akhil@revcare.in", "Secret#2026")

    deleted = await client.delete(f"/admins/{body['id']}", headers=headers)
    assert deleted.status_code == 200
    assert_revcare_error(await client.get(f"/admins/{body['id']}", headers=headers), 404)


async def test_an_admin_created_without_a_password_cannot_sign_in(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    await client.post("/admins/", json=NEW_ADMIN, headers=headers)
    response = await client.post(
        "/auth/login", data={"username": NEW_ADMIN["email"], "password": PASSWORD}
    )
    assert_revcare_error(response, 401)


async def test_admin_routes_refuse_anonymous_callers(client: httpx.AsyncClient) -> None:
    assert_revcare_error(await client.get("/admins/"), 401)
    assert_revcare_error(await client.post("/admins/", json=NEW_ADMIN), 401)
    assert_revcare_error(await client.get("/admins/ADM000001"), 401)
    assert_revcare_error(await client.put("/admins/ADM000001", json={}), 401)
    assert_revcare_error(await client.delete("/admins/ADM000001"), 401)


async def test_admin_routes_refuse_customers_and_mechanics_naming_the_scope(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin, _ = await signed_in(runtime, client, Role.ADMIN)
    for role in (Role.USER, Role.MECHANIC):
        _, headers = await signed_in(runtime, client, role)
        body = assert_revcare_error(await client.get("/admins/", headers=headers), 403)
        assert body == {
            "status": 403,
            "message": "Forbidden",
            "detail": "READ:ADMINS scope required",
        }
        assert_revcare_error(await client.post("/admins/", json=NEW_ADMIN, headers=headers), 403)
        assert_revcare_error(await client.get(f"/admins/ADM{admin.id:06d}", headers=headers), 403)
        assert_revcare_error(
            await client.delete(f"/admins/ADM{admin.id:06d}", headers=headers), 403
        )


async def test_ids_that_are_not_admins_are_404(client: httpx.AsyncClient, runtime: Runtime) -> None:
    customer, _ = await signed_in(runtime, client, Role.USER)
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    for admin_id in ("ADM999999", f"ADM{customer.id:06d}", f"CST{customer.id:06d}", "nonsense"):
        assert_revcare_error(await client.get(f"/admins/{admin_id}", headers=headers), 404)
        assert_revcare_error(
            await client.put(f"/admins/{admin_id}", json={"last_name": "x"}, headers=headers), 404
        )
        assert_revcare_error(await client.delete(f"/admins/{admin_id}", headers=headers), 404)


async def test_bad_admin_input_is_422_and_a_taken_email_409(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin, headers = await signed_in(runtime, client, Role.ADMIN)
    bad = await client.post(
        "/admins/", json={"first_name": "", "email": "nope", "extra": 1}, headers=headers
    )
    body = assert_revcare_error(bad, 422)
    assert {item["loc"][-1] for item in body["detail"]} == {"first_name", "email", "extra"}
    taken = await client.post("/admins/", json={**NEW_ADMIN, "email": admin.email}, headers=headers)
    assert_revcare_error(taken, 409)


async def test_an_admin_cannot_delete_themselves(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin, headers = await signed_in(runtime, client, Role.ADMIN)
    body = assert_revcare_error(
        await client.delete(f"/admins/ADM{admin.id:06d}", headers=headers), 409
    )
    assert "own" in body["detail"]


async def test_list_admins_is_bounded_by_limit(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    assert_revcare_error(await client.get("/admins/?limit=1000", headers=headers), 422)
    response = await client.get("/admins/?limit=1", headers=headers)
    assert len(response.json()) == 1
