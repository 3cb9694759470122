"""EV-CMS /api/v1/admin/users: list, detail, update, status, soft delete, restore."""

from __future__ import annotations

import httpx
import pytest

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import PASSWORD, bearer, login, make_user, signed_in
from tests.surfaces.cms.test_auth import assert_cms_error

USERS = "/api/v1/admin/users"
USER_FIELDS = {
    "id",
    "email",
    "name",
    "phone",
    "role",
    "status",
    "statusReason",
    "isEmailVerified",
    "profilePicture",
    "lastLoginAt",
    "createdAt",
    "updatedAt",
    "deletedAt",
}
ROUTES = [
    ("GET", USERS),
    ("GET", f"{USERS}/1"),
    ("PUT", f"{USERS}/1"),
    ("PUT", f"{USERS}/1/status"),
    ("DELETE", f"{USERS}/1"),
    ("PATCH", f"{USERS}/1/restore"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_admin_user_route_refuses_anonymous_callers(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    assert_cms_error(await client.request(method, path, json={}), 401)


@pytest.mark.parametrize("role", [Role.USER, Role.BRAND])
@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_admin_user_route_refuses_non_admins(
    runtime: Runtime, client: httpx.AsyncClient, role: Role, method: str, path: str
) -> None:
    _, headers = await signed_in(runtime, client, role)
    response = await client.request(method, path, json={"status": "active"}, headers=headers)
    assert_cms_error(response, 403)


async def test_admin_lists_users_filtered_by_role_status_and_search(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    admin, headers = await signed_in(runtime, client, Role.ADMIN)
    asha = await make_user(runtime, first_name="Asha", last_name="Menon")
    brand = await make_user(runtime, role=Role.BRAND, first_name="Volt", last_name="Hub")
    blocked = await make_user(runtime, first_name="Ravi")
    response = await client.put(
        f"{USERS}/{blocked.id}/status", json={"status": "blocked"}, headers=headers
    )
    assert response.status_code == 200, response.text

    everyone = await client.get(USERS, headers=headers)
    assert everyone.status_code == 200, everyone.text
    body = everyone.json()
    assert body["pagination"] == {
        "total": 4,
        "page": 1,
        "limit": 10,
        "totalPages": 1,
        "hasNext": False,
        "hasPrev": False,
    }
    assert set(body["data"]["users"][0]) == USER_FIELDS

    brands = await client.get(f"{USERS}?role=brand", headers=headers)
    assert [u["name"] for u in brands.json()["data"]["users"]] == ["Volt Hub"]
    found = await client.get(f"{USERS}?search=men", headers=headers)
    assert [u["id"] for u in found.json()["data"]["users"]] == [str(asha.id)]
    only_blocked = await client.get(f"{USERS}?status=blocked", headers=headers)
    assert [u["id"] for u in only_blocked.json()["data"]["users"]] == [str(blocked.id)]
    paged = await client.get(f"{USERS}?limit=2&page=2", headers=headers)
    assert [u["id"] for u in paged.json()["data"]["users"]] == [str(brand.id), str(blocked.id)]
    assert paged.json()["pagination"]["hasPrev"] is True
    assert admin.id in [int(u["id"]) for u in body["data"]["users"]]


@pytest.mark.parametrize(
    "query", ["limit=101", "page=0", "role=king", "status=gone", "search=" + "x" * 101]
)
async def test_user_list_refuses_bad_filters_with_422(
    runtime: Runtime, client: httpx.AsyncClient, query: str
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    assert_cms_error(await client.get(f"{USERS}?{query}", headers=headers), 422)


async def test_admin_reads_and_updates_a_user(runtime: Runtime, client: httpx.AsyncClient) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    user = await make_user(runtime)
    detail = await client.get(f"{USERS}/{user.id}", headers=headers)
    assert detail.status_code == 200, detail.text
    assert set(detail.json()["data"]["user"]) == USER_FIELDS
    changed = await client.put(
        f"{USERS}/{user.id}", json={"name": "Meera Iyer", "role": "brand"}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    shown = changed.json()["data"]["user"]
    assert (shown["name"], shown["role"], shown["status"]) == ("Meera Iyer", "brand", "active")
    # The new role's scopes apply at once: a brand reads its own analytics.
    token = await login(client, user)
    own = await client.get("/api/v1/analytics/session-summary", headers=bearer(token))
    assert own.status_code == 200, own.text


async def test_unknown_user_is_404_and_bad_bodies_422(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    assert_cms_error(await client.get(f"{USERS}/999999", headers=headers), 404)
    assert_cms_error(await client.get(f"{USERS}/not-an-id", headers=headers), 404)
    assert_cms_error(await client.put(f"{USERS}/999999", json={"name": "X"}, headers=headers), 404)
    user = await make_user(runtime)
    for body in ({"role": "king"}, {"name": ""}, {"status": "gone"}, {"unknown": 1}):
        assert_cms_error(await client.put(f"{USERS}/{user.id}", json=body, headers=headers), 422)
    assert_cms_error(
        await client.put(f"{USERS}/{user.id}/status", json={"status": "x"}, headers=headers), 422
    )
    assert_cms_error(await client.put(f"{USERS}/{user.id}/status", json={}, headers=headers), 422)


async def test_blocking_ends_the_users_tokens_at_once(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    user = await make_user(runtime)
    token = await login(client, user)
    response = await client.put(
        f"{USERS}/{user.id}/status",
        json={"status": "blocked", "reason": "Chargeback fraud"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    shown = response.json()["data"]["user"]
    assert (shown["status"], shown["statusReason"]) == ("blocked", "Chargeback fraud")
    assert_cms_error(await client.get("/api/v1/auth/me", headers=bearer(token)), 401)
    refused = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
    )
    assert_cms_error(refused, 401)
    back = await client.put(f"{USERS}/{user.id}/status", json={"status": "active"}, headers=headers)
    assert back.json()["data"]["user"]["status"] == "active"
    again = bearer(await login(client, user))
    assert (await client.get("/api/v1/auth/me", headers=again)).status_code == 200


async def test_the_last_active_admin_cannot_be_demoted_blocked_or_deleted(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    admin, headers = await signed_in(runtime, client, Role.ADMIN)
    other = await make_user(runtime, role=Role.ADMIN)
    other_headers = bearer(await login(client, other))
    # With two admins, one may demote the other ...
    demoted = await client.put(f"{USERS}/{other.id}", json={"role": "user"}, headers=headers)
    assert demoted.status_code == 200, demoted.text
    # ... whose admin token stops working for admin routes at once.
    assert_cms_error(await client.get(USERS, headers=other_headers), 403)
    # Now ``admin`` is the last one: nobody (itself included) may remove it.
    promoted = await client.put(f"{USERS}/{other.id}", json={"role": "admin"}, headers=headers)
    assert promoted.status_code == 200
    await client.put(f"{USERS}/{other.id}/status", json={"status": "suspended"}, headers=headers)
    third = await make_user(runtime, role=Role.ADMIN)
    third_headers = bearer(await login(client, third))
    await client.delete(f"{USERS}/{third.id}", headers=headers)
    # ``other`` is suspended, ``third`` deleted: ``admin`` is the last active admin.
    assert_cms_error(
        await client.put(f"{USERS}/{admin.id}", json={"role": "user"}, headers=headers), 409
    )
    assert_cms_error(await client.delete(f"{USERS}/{admin.id}", headers=headers), 409)
    assert_cms_error(
        await client.put(f"{USERS}/{admin.id}/status", json={"status": "blocked"}, headers=headers),
        409,
    )
    assert_cms_error(await client.get(USERS, headers=third_headers), 401)


async def test_delete_hides_the_user_and_restore_brings_them_back(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    user = await make_user(runtime)
    token = await login(client, user)
    deleted = await client.delete(f"{USERS}/{user.id}", headers=headers)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["data"] == {"success": True}
    assert_cms_error(await client.get("/api/v1/auth/me", headers=bearer(token)), 401)
    listed = await client.get(USERS, headers=headers)
    assert str(user.id) not in [u["id"] for u in listed.json()["data"]["users"]]
    gone = await client.get(f"{USERS}?status=deleted", headers=headers)
    assert [u["id"] for u in gone.json()["data"]["users"]] == [str(user.id)]
    assert gone.json()["data"]["users"][0]["deletedAt"] is not None
    assert_cms_error(await client.delete(f"{USERS}/{user.id}", headers=headers), 404)
    restored = await client.patch(f"{USERS}/{user.id}/restore", headers=headers)
    assert restored.status_code == 200, restored.text
    assert restored.json()["data"]["user"]["deletedAt"] is None
    assert_cms_error(await client.patch(f"{USERS}/{user.id}/restore", headers=headers), 409)
    assert_cms_error(await client.patch(f"{USERS}/999999/restore", headers=headers), 404)
