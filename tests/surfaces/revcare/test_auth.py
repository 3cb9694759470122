"""RevCare /auth: password form, HttpOnly refresh cookie, logout, cross-surface tokens."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import jwt

from evcare.core.clock import clock
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import PASSWORD, bearer, login, make_user
from tests.surfaces.revcare.helpers import assert_revcare_error


async def test_login_with_phone_returns_a_bearer_token_and_sets_an_httponly_cookie(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime, phone="9841385379")
    response = await client.post(
        "/auth/login", data={"username": "9841385379", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"
    assert set(response.json()) == {"access_token", "token_type"}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("refresh_token=")
    assert "HttpOnly" in cookie and "Path=/auth" in cookie
    me = await client.get("/customers/", headers=bearer(response.json()["access_token"]))
    assert me.json()["id"] == f"CST{user.id:06d}"


async def test_login_with_email_works_too(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user = await make_user(runtime)
    response = await client.post("/auth/login", data={"username": user.email, "password": PASSWORD})
    assert response.status_code == 200


async def test_login_with_a_wrong_password_is_401_in_revcare_shape(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime)
    response = await client.post("/auth/login", data={"username": user.email, "password": "bad"})
    body = assert_revcare_error(response, 401)
    assert body["message"] == "Unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_login_without_form_fields_is_422_with_pydantic_detail(
    client: httpx.AsyncClient,
) -> None:
    body = assert_revcare_error(await client.post("/auth/login", data={}), 422)
    locations = {tuple(item["loc"]) for item in body["detail"]}
    assert locations == {("body", "username"), ("body", "password")}


async def test_refresh_reads_the_cookie_and_rotates_it(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime)
    await client.post("/auth/login", data={"username": user.email, "password": PASSWORD})
    first_cookie = client.cookies.get("refresh_token", path="/auth")
    response = await client.post("/auth/refresh")
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"access_token", "token_type"}
    assert client.cookies.get("refresh_token", path="/auth") != first_cookie

    # Presenting the spent cookie again revokes the family, the new cookie included.
    client.cookies.clear()
    reused = await client.post("/auth/refresh", headers={"Cookie": f"refresh_token={first_cookie}"})
    assert "already used" in assert_revcare_error(reused, 401)["detail"]
    current = response.json()["access_token"]
    assert_revcare_error(await client.get("/customers/", headers=bearer(current)), 401)


async def test_refresh_without_a_cookie_is_401(client: httpx.AsyncClient) -> None:
    assert_revcare_error(await client.post("/auth/refresh"), 401)


async def test_logout_revokes_tokens_and_clears_the_cookie(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime)
    login_response = await client.post(
        "/auth/login", data={"username": user.email, "password": PASSWORD}
    )
    token = login_response.json()["access_token"]
    response = await client.post("/auth/logout", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {"message": "Successfully logged out"}
    assert 'refresh_token=""' in response.headers["set-cookie"]
    assert_revcare_error(await client.get("/customers/", headers=bearer(token)), 401)
    assert_revcare_error(await client.post("/auth/refresh"), 401)


async def test_logout_without_a_token_is_401(client: httpx.AsyncClient) -> None:
    assert_revcare_error(await client.post("/auth/logout"), 401)


async def test_a_token_from_ev_cms_works_on_revcare_and_the_reverse(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime)
    cms_token = await login(client, user)
    assert (await client.get("/customers/", headers=bearer(cms_token))).status_code == 200
    revcare = await client.post("/auth/login", data={"username": user.email, "password": PASSWORD})
    revcare_token = revcare.json()["access_token"]
    me = await client.get("/api/v1/auth/me", headers=bearer(revcare_token))
    assert me.status_code == 200
    assert me.json()["data"]["user"]["id"] == str(user.id)
    hub = await client.get("/v1/me", headers=bearer(revcare_token))
    assert hub.json()["role"] == Role.USER


async def test_two_concurrent_refreshes_of_one_cookie_let_exactly_one_through(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime)
    for _ in range(3):
        signed_in = await client.post(
            "/auth/login", data={"username": user.email, "password": PASSWORD}
        )
        cookie = client.cookies.get("refresh_token", path="/auth")
        client.cookies.clear()
        headers = {"Cookie": f"refresh_token={cookie}"}
        first, second = await asyncio.gather(
            client.post("/auth/refresh", headers=headers),
            client.post("/auth/refresh", headers=headers),
        )
        client.cookies.clear()
        assert sorted([first.status_code, second.status_code]) == [200, 401], (
            first.text,
            second.text,
        )
        winner = first if first.status_code == 200 else second
        loser = second if winner is first else first
        assert "already used" in assert_revcare_error(loser, 401)["detail"]
        rotated = winner.cookies.get("refresh_token")
        again = await client.post("/auth/refresh", headers={"Cookie": f"refresh_token={rotated}"})
        assert_revcare_error(again, 401)
        for token in (signed_in.json()["access_token"], winner.json()["access_token"]):
            assert_revcare_error(await client.get("/customers/", headers=bearer(token)), 401)


def _lifetime_of(token: str) -> int:
    claims = jwt.decode(token, options={"verify_signature": False})
    return int(claims["exp"]) - int(claims["iat"])


async def test_sign_in_and_refresh_issue_the_documented_30_minute_access_token(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    user = await make_user(runtime)
    signed_in = await client.post(
        "/auth/login", data={"username": user.email, "password": PASSWORD}
    )
    assert _lifetime_of(signed_in.json()["access_token"]) == 30 * 60
    refreshed = await client.post("/auth/refresh")
    token = refreshed.json()["access_token"]
    assert _lifetime_of(token) == 30 * 60
    clock.advance(timedelta(minutes=29))
    assert (await client.get("/customers/", headers=bearer(token))).status_code == 200
    clock.advance(timedelta(minutes=1))
    assert_revcare_error(await client.get("/customers/", headers=bearer(token)), 401)
