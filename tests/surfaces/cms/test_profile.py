"""EV-CMS /api/v1/profile: read, update, preferences."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from tests.factories.identity import signed_in
from tests.surfaces.cms.test_auth import USER_FIELDS, assert_cms_error


async def test_profile_returns_the_current_user(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    response = await client.get("/api/v1/profile", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert set(body["data"]["user"]) == USER_FIELDS
    assert body["data"]["user"]["id"] == str(user.id)


async def test_profile_update_changes_name_phone_and_picture(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    response = await client.put(
        "/api/v1/profile",
        json={
            "name": "Asha K Menon",
            "phone": "+919876543210",
            "profilePicture": "https://cdn.example.com/a.jpg",
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    user = response.json()["data"]["user"]
    assert (user["name"], user["phone"]) == ("Asha K Menon", "+919876543210")
    assert user["profilePicture"] == "https://cdn.example.com/a.jpg"
    again = await client.get("/api/v1/profile", headers=headers)
    assert again.json()["data"]["user"]["name"] == "Asha K Menon"


async def test_profile_update_to_a_phone_someone_else_has_conflicts(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    other, _ = await signed_in(runtime, client)
    _, headers = await signed_in(runtime, client)
    response = await client.put("/api/v1/profile", json={"phone": other.phone}, headers=headers)
    assert_cms_error(response, 409)


async def test_profile_update_rejects_bad_fields(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    response = await client.put(
        "/api/v1/profile",
        json={"phone": "abc", "profilePicture": "not a url", "role": "admin"},
        headers=headers,
    )
    body = assert_cms_error(response, 422)
    assert {e["field"] for e in body["errors"]} == {"phone", "profilePicture", "role"}  # type: ignore[attr-defined]


async def test_preferences_are_merged_and_returned(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    response = await client.put(
        "/api/v1/profile/preferences", json={"theme": "dark"}, headers=headers
    )
    assert response.status_code == 200
    preferences = response.json()["data"]["preferences"]
    assert preferences == {"notifications": True, "language": "en", "theme": "dark"}
    bad = await client.put("/api/v1/profile/preferences", json={"theme": "neon"}, headers=headers)
    assert_cms_error(bad, 422)


async def test_profile_routes_require_a_token(client: httpx.AsyncClient) -> None:
    assert_cms_error(await client.get("/api/v1/profile"), 401)
    assert_cms_error(await client.put("/api/v1/profile", json={}), 401)
    assert_cms_error(await client.put("/api/v1/profile/preferences", json={}), 401)
