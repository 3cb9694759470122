"""Hub /v1: health, identity, and the error matrix."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import bearer, signed_in


async def test_health_answers_without_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_me_names_the_caller_role_and_scopes(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client, Role.FLEET_MANAGER)
    body = (await client.get("/v1/me", headers=headers)).json()
    assert body["userId"] == str(user.id)
    assert body["role"] == "fleet_manager"
    assert "WRITE:FLEET" in body["scopes"] and "WRITE:ADMINS" not in body["scopes"]


async def test_errors_follow_the_matrix_with_a_request_id(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/v1/me")
    assert anonymous.status_code == 401
    body = anonymous.json()
    assert set(body) == {"code", "message", "requestId"}
    assert body["code"] == "UNAUTHORIZED"
    assert body["requestId"] == anonymous.headers["x-request-id"]
    bad = await client.get("/v1/me", headers=bearer("not-a-jwt"))
    assert bad.json()["code"] == "UNAUTHORIZED"
    missing = await client.get("/v1/no-such-endpoint")
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
