"""The live server fixture serves the test app over real TCP."""

from __future__ import annotations

import httpx


async def test_live_server_answers_health_over_real_tcp(live_server: str) -> None:
    async with httpx.AsyncClient(base_url=live_server) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
