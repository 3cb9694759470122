"""Hub partner sign-in: client-token (JSON, OAuth2 form, HTTP Basic), exchange, session
codes and RFC 7009 revocation, with every refusal its code from the matrix."""

from __future__ import annotations

import asyncio
import base64
import os
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from evcare.core.clock import clock
from evcare.core.runtime import Runtime
from evcare.identity.models import User
from evcare.integrations.models import ExternalIdentity, SessionCode
from tests.factories.identity import bearer, make_user
from tests.factories.integrations import (
    admin_headers,
    client_token,
    create_integration,
    exchange,
)

TOKEN_URL = "/v1/integrations/auth/client-token"


async def test_client_token_from_json_carries_the_bundles_scopes(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await create_integration(client, await admin_headers(runtime, client))
    response = await client.post(TOKEN_URL, json=created["credentials"])
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"accessToken", "tokenType", "expiresIn", "scope", "integrationId"}
    assert body["tokenType"] == "Bearer" and body["expiresIn"] > 0
    assert body["integrationId"] == created["integration"]["id"]
    assert "FEDERATE:USERS" in body["scope"].split() and "READ:FLEET" not in body["scope"]
    assert response.headers["cache-control"] == "no-store"
    me = (await client.get("/v1/me", headers=bearer(body["accessToken"]))).json()
    assert me["role"] == "integration" and set(me["scopes"]) == set(body["scope"].split())


async def test_client_token_accepts_the_oauth2_form_and_http_basic(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await create_integration(client, await admin_headers(runtime, client))
    credentials = created["credentials"]
    form = await client.post(
        TOKEN_URL,
        data={
            "grant_type": "client_credentials",
            "client_id": credentials["clientId"],
            "client_secret": credentials["clientSecret"],
        },
    )
    assert form.status_code == 200, form.text
    pair = f"{credentials['clientId']}:{credentials['clientSecret']}".encode()
    basic = await client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + base64.b64encode(pair).decode()},
    )
    assert basic.status_code == 200, basic.text
    wrong_grant = await client.post(
        TOKEN_URL, data={"grant_type": "password", "client_id": "x", "client_secret": "y"}
    )
    assert (wrong_grant.status_code, wrong_grant.json()["code"]) == (422, "VALIDATION_ERROR")
    empty = await client.post(TOKEN_URL, json={})
    assert empty.status_code == 422
    assert {d["field"] for d in empty.json()["details"]} == {"clientId", "clientSecret"}


async def test_a_wrong_secret_and_an_unknown_client_get_the_same_answer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await create_integration(client, await admin_headers(runtime, client))
    wrong = await client.post(
        TOKEN_URL,
        json={"clientId": created["credentials"]["clientId"], "clientSecret": "evc_cs_wrong"},
    )
    unknown = await client.post(
        TOKEN_URL, json={"clientId": "evc_ci_nobody", "clientSecret": "evc_cs_wrong"}
    )
    assert wrong.status_code == unknown.status_code == 401
    strip = [{k: v for k, v in r.json().items() if k != "requestId"} for r in (wrong, unknown)]
    assert strip[0] == strip[1] == {"code": "INVALID_CREDENTIALS", "message": strip[0]["message"]}


async def test_exchange_creates_the_user_once_and_maps_the_subject_to_it_again(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await create_integration(client, await admin_headers(runtime, client))
    token = await client_token(client, created["credentials"])
    integration_id = created["integration"]["id"]
    first = await exchange(client, token, integration_id, subject="ext_1", email="a@x.example")
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) == {"sessionCode", "expiresIn", "user", "created"}
    assert body["sessionCode"].startswith("evc_session_") and body["expiresIn"] == 120
    assert body["created"] is True and body["user"]["role"] == "CLIENT"
    assert body["user"]["email"] == "a@x.example"
    second = await exchange(client, token, integration_id, subject="ext_1", email="a@x.example")
    assert second.json()["created"] is False
    assert second.json()["user"]["id"] == body["user"]["id"]
    async with runtime.sessionmaker() as session:
        links = await session.scalar(select(func.count()).select_from(ExternalIdentity))
        codes = (await session.scalars(select(SessionCode.code_hash))).all()
    assert links == 1
    assert body["sessionCode"] not in codes  # stored hashed


async def test_exchange_refusals_write_nothing(client: httpx.AsyncClient, runtime: Runtime) -> None:
    admin = await admin_headers(runtime, client)
    created = await create_integration(client, admin)
    other = await create_integration(client, admin)
    token = await client_token(client, created["credentials"])
    integration_id = created["integration"]["id"]
    await make_user(runtime, email="taken@x.example")
    async with runtime.sessionmaker() as session:
        users_before = await session.scalar(select(func.count()).select_from(User))

    above = await exchange(client, token, integration_id, role_hint="FLEET_MANAGER")
    assert (above.status_code, above.json()["code"]) == (403, "BUNDLE_FORBIDDEN")
    taken = await exchange(client, token, integration_id, email="taken@x.example")
    assert (taken.status_code, taken.json()["code"]) == (409, "CONFLICT")
    elsewhere = await exchange(client, token, other["integration"]["id"])
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "NOT_FOUND")
    unknown_hint = await exchange(client, token, integration_id, role_hint="SUPERUSER")
    assert unknown_hint.status_code == 422
    anonymous = await client.post("/v1/integrations/auth/exchange", json={})
    assert anonymous.json()["code"] == "UNAUTHORIZED"
    # A person's token cannot federate others, even an admin's.
    as_admin = await client.post(
        "/v1/integrations/auth/exchange",
        headers=admin,
        json={
            "integrationId": integration_id,
            "externalSubject": "s",
            "email": "s@x.example",
            "roleHint": "CLIENT",
        },
    )
    assert as_admin.status_code == 403
    async with runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == users_before
        assert await session.scalar(select(func.count()).select_from(ExternalIdentity)) == 0


async def test_a_session_code_works_once_and_gives_tokens_for_every_surface(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await create_integration(client, await admin_headers(runtime, client))
    token = await client_token(client, created["credentials"])
    code = (await exchange(client, token, created["integration"]["id"])).json()["sessionCode"]
    redeemed = await client.post("/v1/integrations/auth/session", json={"sessionCode": code})
    assert redeemed.status_code == 200
    body = redeemed.json()
    assert set(body) == {"accessToken", "refreshToken", "tokenType", "expiresIn", "user"}
    assert body["user"]["role"] == "CLIENT"
    headers = bearer(body["accessToken"])
    assert (await client.get("/api/v1/profile", headers=headers)).status_code == 200
    assert (await client.get("/customers/", headers=headers)).status_code == 200
    assert (await client.get("/v1/me", headers=headers)).status_code == 200
    again = await client.post("/v1/integrations/auth/session", json={"sessionCode": code})
    assert (again.status_code, again.json()["code"]) == (400, "SESSION_CODE_INVALID")
    refreshed = await client.post(
        "/api/v1/auth/refresh-token", json={"refreshToken": body["refreshToken"]}
    )
    assert refreshed.status_code == 200
    # The refreshed sign-in is still the integration's: bundles still bound it.
    cart = await client.get(
        "/customers/cart", headers=bearer(refreshed.json()["data"]["accessToken"])
    )
    assert cart.status_code == 403  # SHOP:SERVICES: the user's role has it, CLIENT_ACCESS not


async def test_a_session_code_expires_after_two_minutes(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    created = await create_integration(client, await admin_headers(runtime, client))
    token = await client_token(client, created["credentials"])
    code = (await exchange(client, token, created["integration"]["id"])).json()["sessionCode"]
    clock.advance(timedelta(seconds=121))
    late = await client.post("/v1/integrations/auth/session", json={"sessionCode": code})
    assert (late.status_code, late.json()["code"]) == (400, "SESSION_CODE_INVALID")
    bogus = await client.post("/v1/integrations/auth/session", json={"sessionCode": "evc_x"})
    assert bogus.json()["code"] == "SESSION_CODE_INVALID"
    missing = await client.post("/v1/integrations/auth/session", json={})
    assert missing.status_code == 422


async def test_two_concurrent_redemptions_of_one_code_give_one_sign_in(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await create_integration(client, await admin_headers(runtime, client))
    token = await client_token(client, created["credentials"])
    code = (await exchange(client, token, created["integration"]["id"])).json()["sessionCode"]
    results = await asyncio.gather(
        *(
            client.post("/v1/integrations/auth/session", json={"sessionCode": code})
            for _ in range(4)
        )
    )
    assert sorted(r.status_code for r in results) == [200, 400, 400, 400]


async def test_integration_tokens_expire(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    created = await create_integration(client, await admin_headers(runtime, client))
    token = await client_token(client, created["credentials"])
    clock.advance(runtime.credentials.cms_access_lifetime + timedelta(seconds=1))
    expired = await client.get("/v1/me", headers=bearer(token))
    assert (expired.status_code, expired.json()["code"]) == (401, "TOKEN_EXPIRED")


@pytest.mark.parametrize("which", ["access", "refresh"])
async def test_revoke_ends_the_sign_in_and_always_answers_200(
    client: httpx.AsyncClient, runtime: Runtime, which: str
) -> None:
    created = await create_integration(client, await admin_headers(runtime, client))
    token = await client_token(client, created["credentials"])
    code = (await exchange(client, token, created["integration"]["id"])).json()["sessionCode"]
    pair = (await client.post("/v1/integrations/auth/session", json={"sessionCode": code})).json()
    revoked = await client.post(
        "/v1/integrations/auth/revoke", json={"token": pair[f"{which}Token"]}
    )
    assert (revoked.status_code, revoked.json()) == (200, {})
    refused = await client.get("/v1/me", headers=bearer(pair["accessToken"]))
    assert (refused.status_code, refused.json()["code"]) == (401, "TOKEN_REVOKED")
    unknown = await client.post("/v1/integrations/auth/revoke", json={"token": "nonsense"})
    assert unknown.status_code == 200
    assert (await client.post("/v1/integrations/auth/revoke", json={})).status_code == 422


@pytest.mark.skipif(
    not os.environ.get("EVCARE_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="PostgreSQL only: concurrent read-then-write requests on SQLite fail their "
    "lock upgrade (SQLITE_BUSY_SNAPSHOT) before any unique index is reached",
)
async def test_concurrent_first_exchanges_of_one_subject_make_one_user(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await create_integration(client, await admin_headers(runtime, client))
    token = await client_token(client, created["credentials"])
    results = await asyncio.gather(
        *(
            exchange(
                client, token, created["integration"]["id"], subject="ext_same", email="s@x.example"
            )
            for _ in range(4)
        )
    )
    assert [r.status_code for r in results] == [200] * 4, [r.text for r in results]
    assert len({r.json()["user"]["id"] for r in results}) == 1
    assert sorted(r.json()["created"] for r in results) == [False, False, False, True]
