"""Health, readiness, metrics, request ids, and settings that refuse unsafe defaults."""

from __future__ import annotations

import httpx
import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from evcare.core.config import Settings


async def test_healthz_and_readyz_answer(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok"}


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/api/v1/auth/me")
    text = (await client.get("/metrics")).text
    assert "evcare_http_requests_total" in text
    assert 'route="/api/v1/auth/me"' in text


async def test_every_response_carries_a_request_id_and_echoes_a_sane_one(
    client: httpx.AsyncClient,
) -> None:
    generated = await client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123-xyz"})
    assert echoed.headers["x-request-id"] == "abc-123-xyz"
    refused = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert refused.headers["x-request-id"] != "bad id with spaces"


async def test_each_surface_serves_its_own_openapi_document(client: httpx.AsyncClient) -> None:
    cms = (await client.get("/api/v1/openapi.json")).json()
    revcare = (await client.get("/openapi.json")).json()
    hub = (await client.get("/v1/openapi.json")).json()
    assert "/auth/register" in cms["paths"]
    assert "/admins/" in revcare["paths"]
    assert "/me" in hub["paths"]
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/api/v1/docs")).status_code == 200
    redirect = await client.get("/api-docs")
    assert redirect.headers["location"] == "/api/v1/docs"


def test_production_refuses_the_default_signing_secret() -> None:
    with pytest.raises(ValidationError, match="EVCARE_SECRET_KEY"):
        Settings(environment="production")
    with pytest.raises(ValidationError, match="32 characters"):
        Settings(environment="production", secret_key="short")  # type: ignore[arg-type]
    Settings(
        environment="production",
        secret_key="x" * 40,  # type: ignore[arg-type]
        kyc_encryption_key=Fernet.generate_key().decode(),  # type: ignore[arg-type]
    )


def test_production_refuses_the_default_kyc_key_and_no_environment_takes_a_malformed_one() -> None:
    with pytest.raises(ValidationError, match="EVCARE_KYC_ENCRYPTION_KEY"):
        Settings(environment="production", secret_key="x" * 40)  # type: ignore[arg-type]
    for key in ("not-a-key", "c2hvcnQ=", "x" * 44):
        with pytest.raises(ValidationError, match="Fernet key"):
            Settings(kyc_encryption_key=key)  # type: ignore[arg-type]
    Settings()  # development keeps its default
