"""Fleets for tests: an integration with FLEET_MANAGER_ACCESS, its vehicles and drivers,
all made through the hub's own HTTP routes."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from evcare.core.runtime import Runtime
from tests.factories.identity import bearer
from tests.factories.integrations import admin_headers, client_token, create_integration

_plates = itertools.count(1)


async def fleet_token(
    client: httpx.AsyncClient, runtime: Runtime, *, bundles: list[str] | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """A new organization's integration (FLEET_MANAGER_ACCESS by default) and its token."""
    created = await create_integration(
        client,
        await admin_headers(runtime, client),
        bundles=bundles or ["FLEET_MANAGER_ACCESS"],
    )
    return created, bearer(await client_token(client, created["credentials"]))


def plate() -> str:
    return f"FL{next(_plates):02d}AB{next(_plates):04d}"


async def add_vehicle(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    body = {"registrationNumber": plate(), "year": 2024, "make": "Tata", "model": "Nexon EV"}
    response = await client.post("/v1/fleet/vehicles", headers=headers, json={**body, **fields})
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


async def add_driver(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    n = next(_plates)
    body = {"email": f"driver{n}@fleet.example", "name": f"Driver {n}"}
    response = await client.post("/v1/fleet/drivers", headers=headers, json={**body, **fields})
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made
