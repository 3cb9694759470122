"""RevCare assertions shared by its surface tests."""

from __future__ import annotations

from typing import Any

import httpx


def assert_revcare_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) >= {"status", "message", "detail"}
    assert body["status"] == status
    return body


async def revcare_login(client: httpx.AsyncClient, username: str, password: str) -> str:
    response = await client.post("/auth/login", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token
