"""The hub's error matrix: every code of HUB.md through HTTP with its status and the hub's
shape, and docs/developer-hub/10-troubleshooting-matrix.md lists exactly those codes."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from evcare.core.clock import clock, utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.integrations import idempotency
from tests.core.test_transactions import app_with_broken_routes
from tests.factories.identity import bearer, signed_in
from tests.factories.integrations import (
    admin_headers,
    client_token,
    create_integration,
    exchange,
)
from tests.factories.workshops import fleet_with_vehicle, workshop_with_services
from tests.identity.test_sign_in_lockout import client_from, limited_app
from tests.surfaces.hub.test_idempotency import (
    assert_hub_error,
    keyed,
    new_integration,
    required_key_app,
)

__all__ = ["app_with_broken_routes"]

MATRIX = Path(__file__).resolve().parents[3] / "docs/developer-hub/10-troubleshooting-matrix.md"

# HUB.md "Error codes", verbatim.
HUB_CODES = [
    "INVALID_CREDENTIALS",
    "TOKEN_EXPIRED",
    "TOKEN_REVOKED",
    "UNAUTHORIZED",
    "BUNDLE_FORBIDDEN",
    "ENDPOINT_NOT_ALLOWED",
    "FORBIDDEN",
    "NOT_FOUND",
    "CONFLICT",
    "VALIDATION_ERROR",
    "IDEMPOTENCY_KEY_REQUIRED",
    "IDEMPOTENCY_KEY_REUSED",
    "IDEMPOTENCY_IN_PROGRESS",
    "SESSION_CODE_INVALID",
    "WEBHOOK_URL_REFUSED",
    "PAYMENT_PROVIDER_ERROR",
    "RATE_LIMITED",
    "INTERNAL_ERROR",
]
# Every code of the matrix is answered by a route today.
PENDING: set[str] = set()


@dataclass
class Hub:
    client: httpx.AsyncClient
    runtime: Runtime
    database_url: str

    async def admin(self) -> dict[str, str]:
        return await admin_headers(self.runtime, self.client)

    async def integration(self, **overrides: object) -> tuple[dict[str, object], dict[str, str]]:
        created = await create_integration(self.client, await self.admin(), **overrides)
        return created, bearer(await client_token(self.client, created["credentials"]))


Trigger = Callable[[Hub], Awaitable[httpx.Response]]
TRIGGERS: dict[str, tuple[int, Trigger]] = {}


def trigger(code: str, status: int) -> Callable[[Trigger], Trigger]:
    def register(fn: Trigger) -> Trigger:
        TRIGGERS[code] = (status, fn)
        return fn

    return register


@trigger("INVALID_CREDENTIALS", 401)
async def _wrong_secret(hub: Hub) -> httpx.Response:
    created, _ = await hub.integration()
    credentials = created["credentials"]
    assert isinstance(credentials, dict)
    return await hub.client.post(
        "/v1/integrations/auth/client-token",
        json={"clientId": credentials["clientId"], "clientSecret": "evc_cs_wrong"},
    )


@trigger("TOKEN_EXPIRED", 401)
async def _expired(hub: Hub) -> httpx.Response:
    _, token = await hub.integration()
    # Used once while valid (its claims are then kept in memory), then past its hour.
    assert (await hub.client.get("/v1/me", headers=token)).status_code == 200
    clock.freeze()
    clock.advance(hub.runtime.credentials.cms_access_lifetime + timedelta(seconds=1))
    return await hub.client.get("/v1/me", headers=token)


@trigger("TOKEN_REVOKED", 401)
async def _revoked(hub: Hub) -> httpx.Response:
    _, token = await hub.integration()
    await hub.client.post(
        "/v1/integrations/auth/revoke", json={"token": token["Authorization"][7:]}
    )
    return await hub.client.get("/v1/me", headers=token)


@trigger("UNAUTHORIZED", 401)
async def _anonymous(hub: Hub) -> httpx.Response:
    return await hub.client.get("/v1/me")


@trigger("BUNDLE_FORBIDDEN", 403)
async def _outside_bundles(hub: Hub) -> httpx.Response:
    _, token = await hub.integration(bundles=["CLIENT_ACCESS"])
    return await hub.client.get("/v1/organizations/me", headers=token)


@trigger("ENDPOINT_NOT_ALLOWED", 403)
async def _off_allowlist(hub: Hub) -> httpx.Response:
    _, token = await hub.integration(allowedEndpoints=["GET /api/v1/profile"])
    return await hub.client.get("/v1/me", headers=token)


@trigger("FORBIDDEN", 403)
async def _not_admin(hub: Hub) -> httpx.Response:
    _, headers = await signed_in(hub.runtime, hub.client, Role.USER)
    return await hub.client.get("/v1/integrations", headers=headers)


@trigger("NOT_FOUND", 404)
async def _unknown_id(hub: Hub) -> httpx.Response:
    return await hub.client.get("/v1/integrations/int_nosuchone", headers=await hub.admin())


@trigger("CONFLICT", 409)
async def _email_taken(hub: Hub) -> httpx.Response:
    someone, _ = await signed_in(hub.runtime, hub.client)
    created, token = await hub.integration()
    integration = created["integration"]
    assert isinstance(integration, dict)
    return await exchange(
        hub.client, token["Authorization"][7:], integration["id"], email=someone.email
    )


@trigger("VALIDATION_ERROR", 422)
async def _unknown_bundle(hub: Hub) -> httpx.Response:
    return await hub.client.post(
        "/v1/integrations",
        json=new_integration(bundles=["NO_SUCH_ACCESS"]),
        headers=await hub.admin(),
    )


@trigger("IDEMPOTENCY_KEY_REQUIRED", 400)
async def _no_key(hub: Hub) -> httpx.Response:
    _, headers = await signed_in(hub.runtime, hub.client)
    transport = httpx.ASGITransport(app=required_key_app(hub.runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as own:
        return await own.post("/charge", headers=headers)


@trigger("IDEMPOTENCY_KEY_REUSED", 422)
async def _key_reused(hub: Hub) -> httpx.Response:
    admin = keyed(await hub.admin(), "same")
    await hub.client.post("/v1/integrations", json=new_integration(1), headers=admin)
    return await hub.client.post("/v1/integrations", json=new_integration(2), headers=admin)


@trigger("IDEMPOTENCY_IN_PROGRESS", 409)
async def _key_running(hub: Hub) -> httpx.Response:
    admin, headers = await signed_in(hub.runtime, hub.client, Role.ADMIN)
    content = hub.client.build_request("POST", "/v1/integrations", json=new_integration()).content
    await idempotency.claim(
        hub.runtime.sessionmaker,
        idempotency.sealer_for(hub.runtime.settings.secret_key.get_secret_value()),
        user_id=admin.id,
        key="running",
        fingerprint=idempotency.fingerprint("POST", "/v1/integrations", content),
    )
    return await hub.client.post(
        "/v1/integrations", json=new_integration(), headers=keyed(headers, "running")
    )


@trigger("SESSION_CODE_INVALID", 400)
async def _bogus_code(hub: Hub) -> httpx.Response:
    return await hub.client.post(
        "/v1/integrations/auth/session", json={"sessionCode": "evc_session_unknown"}
    )


@trigger("PAYMENT_PROVIDER_ERROR", 503)
async def _paystack_not_configured(hub: Hub) -> httpx.Response:
    created, _ = await hub.integration()
    integration = created["integration"]
    assert isinstance(integration, dict)
    admin = {**await hub.admin(), "Idempotency-Key": "pay-unconfigured"}
    configured = hub.runtime.settings
    # Production without EVCARE_PAYSTACK_SECRET_KEY: never the sandbox.
    hub.runtime.settings = configured.model_copy(update={"environment": "production"})
    try:
        return await hub.client.post(
            f"/v1/integrations/{integration['id']}/billing/paystack/initialize",
            json={"email": "billing@partner.com", "amount": 1200, "currency": "GHS"},
            headers=admin,
        )
    finally:
        hub.runtime.settings = configured


@trigger("WEBHOOK_URL_REFUSED", 422)
async def _loopback_webhook(hub: Hub) -> httpx.Response:
    created, token = await hub.integration()
    integration = created["integration"]
    assert isinstance(integration, dict)
    return await hub.client.post(
        f"/v1/integrations/{integration['id']}/webhooks",
        json={"url": "https://127.0.0.1/hook", "events": ["session.started"]},
        headers=token,
    )


@trigger("WORKSHOP_NOT_ALLOWED", 403)
async def _workshop_not_allowed(hub: Hub) -> httpx.Response:
    allowed, _ = await workshop_with_services(hub.runtime, name="Allowed Garage")
    other, services = await workshop_with_services(hub.runtime, name="Other Garage")
    fleet, vehicle_id = await fleet_with_vehicle(hub.runtime, hub.client)
    await hub.client.put(
        "/v1/fleet/maintenance/settings",
        json={"selectionMode": "allowed_only", "allowedWorkshopIds": [allowed.id]},
        headers=fleet.headers,
    )
    return await hub.client.post(
        "/v1/fleet/maintenance",
        json={
            "vehicleId": vehicle_id,
            "serviceIds": services,
            "workshopId": other.id,
            "preferredDate": utcnow().date().isoformat(),
        },
        headers=fleet.headers,
    )


@trigger("RATE_LIMITED", 429)
async def _too_many(hub: Hub) -> httpx.Response:
    async with (
        limited_app(hub.database_url, hub_rate_limit="1/minute") as app,
        client_from(app) as client,
    ):
        await client.get("/v1/health")
        return await client.get("/v1/health")


@trigger("CONTENT_TOO_LARGE", 413)
async def _too_large(hub: Hub) -> httpx.Response:
    return await hub.client.post(
        "/v1/integrations",
        content=b'{"name": "' + b"x" * (1 << 20) + b'"}',
        headers={**await hub.admin(), "Content-Type": "application/json"},
    )


@trigger("METHOD_NOT_ALLOWED", 405)
async def _wrong_method(hub: Hub) -> httpx.Response:
    return await hub.client.put("/v1/health")


@pytest.mark.parametrize("code", sorted(TRIGGERS))
async def test_each_code_is_answered_in_the_hub_shape(
    code: str, client: httpx.AsyncClient, runtime: Runtime, database_url: str
) -> None:
    status, fn = TRIGGERS[code]
    response = await fn(Hub(client, runtime, database_url))
    body = assert_hub_error(response, status, code)
    assert set(body) <= {"code", "message", "requestId", "details"}
    assert body["requestId"] == response.headers["x-request-id"]


async def test_an_unexpected_error_is_internal_error(app_with_broken_routes: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app_with_broken_routes, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/v1/test-only/crash")
    assert_hub_error(response, 500, "INTERNAL_ERROR")


def matrix_rows() -> dict[str, str]:
    """``code -> status`` from the troubleshooting matrix's table."""
    rows = re.findall(r"^\| `([A-Z_]+)` \| ([0-9]{3}|—) \|", MATRIX.read_text(), re.MULTILINE)
    return dict(rows)


def test_the_troubleshooting_matrix_has_a_row_per_code_with_its_real_status() -> None:
    rows = matrix_rows()
    assert set(HUB_CODES) <= set(rows), set(HUB_CODES) - set(rows)
    tested = {*TRIGGERS, "INTERNAL_ERROR"}
    assert set(rows) == tested | PENDING, set(rows) ^ (tested | PENDING)
    for code, (status, _) in TRIGGERS.items():
        assert rows[code] == str(status), code
    assert rows["INTERNAL_ERROR"] == "500"
