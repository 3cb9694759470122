"""EV-CMS /api/v1/auth: documented shapes, token rotation and revocation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import jwt
import pytest
from sqlalchemy import func, select

from evcare.core.clock import clock, utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User, UserStatus
from tests.factories.identity import PASSWORD, bearer, login, login_pair, make_user

USER_FIELDS = {
    "id",
    "email",
    "name",
    "phone",
    "role",
    "profilePicture",
    "isEmailVerified",
    "status",
    "vehicles",
    "wallet",
    "preferences",
    "createdAt",
    "updatedAt",
}


def assert_cms_error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    body: dict[str, object] = response.json()
    assert body["success"] is False
    assert body["statusCode"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert "error" in body
    return body


def error_fields(body: dict[str, object]) -> list[object]:
    """The fields an EV-CMS error body's ``errors`` names, in order."""
    errors = body.get("errors")
    assert isinstance(errors, list)
    return [error["field"] for error in errors]


async def test_register_returns_the_user_and_tokens_in_the_documented_shape(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "Asha@Example.com", "password": "secret12", "name": "Asha Menon"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True
    user = body["data"]["user"]
    assert set(user) == USER_FIELDS
    assert user["email"] == "asha@example.com"
    assert user["name"] == "Asha Menon"
    assert user["role"] == "user"
    assert user["status"] == "active"
    assert user["wallet"] == {"balance": 0, "currency": "INR"}
    assert "passwordHash" not in response.text and "secret12" not in response.text
    tokens = body["data"]["tokens"]
    assert tokens["accessToken"] and tokens["refreshToken"]
    me = await client.get("/api/v1/auth/me", headers=bearer(tokens["accessToken"]))
    assert me.json()["data"]["user"]["id"] == user["id"]


# Every role a registration may name (``integration`` is no such role: it is a 422).
@pytest.mark.parametrize(
    "role", [role.value for role in Role if role not in (Role.USER, Role.INTEGRATION)]
)
async def test_register_asking_for_a_privileged_role_is_refused_not_downgraded(
    client: httpx.AsyncClient, runtime: Runtime, role: str
) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "x@example.com", "password": "secret12", "name": "X", "role": role},
    )
    body = assert_cms_error(response, 403)
    assert "role" in str(body["message"])
    async with runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_register_with_bad_input_names_each_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", json={"email": "not-an-email", "password": "123", "name": ""}
    )
    body = assert_cms_error(response, 422)
    assert body["message"] == "Validation failed"
    fields = {error["field"] for error in body["errors"]}  # type: ignore[attr-defined]
    assert fields == {"email", "password", "name"}


async def test_register_with_a_taken_email_conflicts(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await make_user(runtime, email="taken@example.com")
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "TAKEN@example.com", "password": "secret12", "name": "T"},
    )
    assert_cms_error(response, 409)


async def test_login_returns_user_access_and_refresh_tokens(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime)
    response = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) >= {"user", "accessToken", "refreshToken"}
    assert set(data["user"]) == USER_FIELDS


async def test_login_with_a_wrong_password_or_unknown_email_is_the_same_401(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime)
    wrong = await client.post("/api/v1/auth/login", json={"email": user.email, "password": "x"})
    unknown = await client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": "x"}
    )
    assert assert_cms_error(wrong, 401)["message"] == assert_cms_error(unknown, 401)["message"]


async def test_login_body_missing_fields_is_422(client: httpx.AsyncClient) -> None:
    body = assert_cms_error(await client.post("/api/v1/auth/login", json={}), 422)
    assert {e["field"] for e in body["errors"]} == {"email", "password"}  # type: ignore[attr-defined]


async def test_me_without_a_token_is_401(client: httpx.AsyncClient) -> None:
    assert_cms_error(await client.get("/api/v1/auth/me"), 401)
    assert_cms_error(await client.get("/api/v1/auth/me", headers=bearer("garbage")), 401)


async def test_refresh_rotates_and_reusing_a_spent_token_revokes_the_family(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime)
    access, first_refresh = await login_pair(client, user)
    rotated = await client.post("/api/v1/auth/refresh-token", json={"refreshToken": first_refresh})
    assert rotated.status_code == 200
    second = rotated.json()["data"]
    assert second["refreshToken"] != first_refresh

    reused = await client.post("/api/v1/auth/refresh-token", json={"refreshToken": first_refresh})
    assert_cms_error(reused, 401)
    # The whole family is gone: the rotated refresh token and every access token of it.
    later = await client.post(
        "/api/v1/auth/refresh-token", json={"refreshToken": second["refreshToken"]}
    )
    assert_cms_error(later, 401)
    assert_cms_error(await client.get("/api/v1/auth/me", headers=bearer(access)), 401)
    assert_cms_error(
        await client.get("/api/v1/auth/me", headers=bearer(second["accessToken"])), 401
    )


async def test_refresh_with_an_unknown_token_is_401_and_bad_body_422(
    client: httpx.AsyncClient,
) -> None:
    assert_cms_error(
        await client.post("/api/v1/auth/refresh-token", json={"refreshToken": "x" * 40}), 401
    )
    assert_cms_error(await client.post("/api/v1/auth/refresh-token", json={}), 422)


async def test_logout_revokes_access_and_refresh_tokens(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime)
    access, refresh = await login_pair(client, user)
    response = await client.post("/api/v1/auth/logout", headers=bearer(access))
    assert response.status_code == 200
    assert response.json()["success"] is True
    assert_cms_error(await client.get("/api/v1/auth/me", headers=bearer(access)), 401)
    assert_cms_error(
        await client.post("/api/v1/auth/refresh-token", json={"refreshToken": refresh}), 401
    )


async def test_logout_without_a_token_is_401(client: httpx.AsyncClient) -> None:
    assert_cms_error(await client.post("/api/v1/auth/logout"), 401)


async def test_change_password_checks_the_current_one_and_ends_other_sign_ins(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime)
    token = await login(client, user)
    other_device = await login(client, user)
    wrong = await client.put(
        "/api/v1/auth/change-password",
        json={"currentPassword": "nope", "newPassword": "brand-new-1"},
        headers=bearer(token),
    )
    assert_cms_error(wrong, 400)
    ok = await client.put(
        "/api/v1/auth/change-password",
        json={"currentPassword": PASSWORD, "newPassword": "brand-new-1"},
        headers=bearer(token),
    )
    assert ok.status_code == 200 and ok.json()["success"] is True
    assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 200
    assert_cms_error(await client.get("/api/v1/auth/me", headers=bearer(other_device)), 401)
    await login(client, user, "brand-new-1")


async def test_change_password_validates_and_requires_auth(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime)
    token = await login(client, user)
    assert_cms_error(
        await client.put(
            "/api/v1/auth/change-password",
            json={"currentPassword": PASSWORD, "newPassword": "123"},
            headers=bearer(token),
        ),
        422,
    )
    assert_cms_error(await client.put("/api/v1/auth/change-password", json={}), 401)


async def test_a_blocked_users_tokens_stop_working_at_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime)
    token = await login(client, user)
    async with runtime.sessionmaker() as session:
        stored = await session.get(User, user.id)
        assert stored is not None
        stored.status = UserStatus.BLOCKED
        await session.commit()
    body = assert_cms_error(await client.get("/api/v1/auth/me", headers=bearer(token)), 401)
    assert "blocked" in str(body["message"])


async def test_an_access_token_expires_after_its_lifetime(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    user = await make_user(runtime)
    token = await login(client, user)
    clock.advance(runtime.credentials.cms_access_lifetime + timedelta(seconds=1))
    assert_cms_error(await client.get("/api/v1/auth/me", headers=bearer(token)), 401)


async def test_a_token_in_use_is_refused_once_it_expires(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    # Verified tokens are remembered: the expiry must still be checked on every use.
    user = await make_user(runtime)
    token = await login(client, user)
    assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 200
    clock.advance(runtime.credentials.cms_access_lifetime + timedelta(seconds=1))
    body = assert_cms_error(await client.get("/api/v1/auth/me", headers=bearer(token)), 401)
    assert "expired" in str(body["message"]).lower()


async def test_a_token_in_use_stops_working_when_its_user_is_blocked_or_deleted(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    blocked, deleted = await make_user(runtime), await make_user(runtime)
    tokens = {blocked.id: await login(client, blocked), deleted.id: await login(client, deleted)}
    for token in tokens.values():
        assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 200
    async with runtime.sessionmaker() as session:
        for user_id, change in ((blocked.id, "status"), (deleted.id, "deleted_at")):
            stored = await session.get(User, user_id)
            assert stored is not None
            if change == "status":
                stored.status = UserStatus.BLOCKED
            else:
                stored.deleted_at = utcnow()
        await session.commit()
    body = assert_cms_error(
        await client.get("/api/v1/auth/me", headers=bearer(tokens[blocked.id])), 401
    )
    assert "blocked" in str(body["message"])
    body = assert_cms_error(
        await client.get("/api/v1/auth/me", headers=bearer(tokens[deleted.id])), 401
    )
    assert "no longer exists" in str(body["message"])


async def test_a_token_signed_with_another_key_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime, role=Role.ADMIN)
    token = await login(client, user)
    # The genuine token is verified first: its forged twin must not pass as remembered.
    assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 200
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, "another-key-another-key-another-key", algorithm="HS256")
    assert_cms_error(await client.get("/api/v1/auth/me", headers=bearer(forged)), 401)


async def test_two_concurrent_refreshes_of_one_token_let_exactly_one_through(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime)
    for _ in range(3):
        access, refresh = await login_pair(client, user)
        body = {"refreshToken": refresh}
        first, second = await asyncio.gather(
            client.post("/api/v1/auth/refresh-token", json=body),
            client.post("/api/v1/auth/refresh-token", json=body),
        )
        assert sorted([first.status_code, second.status_code]) == [200, 401], (
            first.text,
            second.text,
        )
        winner = first if first.status_code == 200 else second
        loser = second if winner is first else first
        assert "already used" in str(assert_cms_error(loser, 401)["message"])
        # The loser is reuse: the family is revoked, the winner's new tokens included.
        rotated = winner.json()["data"]
        again = await client.post(
            "/api/v1/auth/refresh-token", json={"refreshToken": rotated["refreshToken"]}
        )
        assert_cms_error(again, 401)
        for token in (access, rotated["accessToken"]):
            assert_cms_error(await client.get("/api/v1/auth/me", headers=bearer(token)), 401)


def _lifetime_of(token: str) -> int:
    claims = jwt.decode(token, options={"verify_signature": False})
    return int(claims["exp"]) - int(claims["iat"])


async def test_sign_in_and_refresh_issue_the_documented_one_hour_access_token(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    registered = await client.post(
        "/api/v1/auth/register",
        json={"email": "hour@example.com", "password": "secret12", "name": "H"},
    )
    tokens = registered.json()["data"]["tokens"]
    assert tokens["expiresIn"] == 3600 == _lifetime_of(tokens["accessToken"])
    signed_in = (
        await client.post(
            "/api/v1/auth/login", json={"email": "hour@example.com", "password": "secret12"}
        )
    ).json()["data"]
    assert signed_in["expiresIn"] == 3600 == _lifetime_of(signed_in["accessToken"])
    rotated = (
        await client.post(
            "/api/v1/auth/refresh-token", json={"refreshToken": signed_in["refreshToken"]}
        )
    ).json()["data"]
    assert rotated["expiresIn"] == 3600 == _lifetime_of(rotated["accessToken"])
    clock.advance(timedelta(minutes=59))
    me = await client.get("/api/v1/auth/me", headers=bearer(rotated["accessToken"]))
    assert me.status_code == 200
    clock.advance(timedelta(minutes=1))
    assert_cms_error(
        await client.get("/api/v1/auth/me", headers=bearer(rotated["accessToken"])), 401
    )
