"""Hub /v1/integrations/{id}/webhooks through HTTP: the documented shapes, who may call
(an admin, the integration's own token; nobody else), the SSRF guard at creation, the
secret shown once and kept encrypted, and the event-type catalogue."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.integrations.webhooks.models import WebhookEndpoint
from tests.factories.identity import bearer, signed_in
from tests.factories.integrations import (
    admin_headers,
    client_token,
    create_integration,
    partner_user,
)
from tests.factories.webhooks import Receiver, create_webhook

WEBHOOK_FIELDS = {
    "id",
    "integrationId",
    "url",
    "description",
    "events",
    "status",
    "disabledReason",
    "previousSecretExpiresAt",
    "createdAt",
    "updatedAt",
}


async def _partner(client: httpx.AsyncClient, runtime: Runtime) -> tuple[str, dict[str, str]]:
    admin = await admin_headers(runtime, client)
    created = await create_integration(client, admin)
    token = await client_token(client, created["credentials"])
    return created["integration"]["id"], bearer(token)


@pytest.mark.usefixtures("private_allowed")
async def test_an_integration_creates_lists_reads_updates_and_deletes_its_webhook(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    integration_id, partner = await _partner(client, runtime)
    created = await create_webhook(client, partner, integration_id, receiver.url())
    assert set(created) == WEBHOOK_FIELDS | {"secret"}
    assert created["id"].startswith("wh_")
    assert created["secret"].startswith("whsec_")
    assert created["status"] == "enabled"
    assert created["events"] == ["credentials.rotated"]
    base = f"/v1/integrations/{integration_id}/webhooks"

    listed = await client.get(base, headers=partner)
    assert listed.status_code == 200
    assert [w["id"] for w in listed.json()["data"]] == [created["id"]]
    assert listed.json()["pagination"]["total"] == 1
    read = await client.get(f"{base}/{created['id']}", headers=partner)
    assert set(read.json()) == WEBHOOK_FIELDS  # the secret is never shown again

    patched = await client.patch(
        f"{base}/{created['id']}",
        json={"events": ["session.started", "session.completed"], "status": "disabled"},
        headers=partner,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["events"] == ["session.completed", "session.started"]
    assert patched.json()["status"] == "disabled"

    deleted = await client.delete(f"{base}/{created['id']}", headers=partner)
    assert deleted.status_code == 204
    gone = await client.get(f"{base}/{created['id']}", headers=partner)
    assert gone.status_code == 404
    assert gone.json()["code"] == "NOT_FOUND"


@pytest.mark.usefixtures("private_allowed")
async def test_the_secret_is_stored_encrypted_and_rotation_shows_the_new_one_once(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    admin = await admin_headers(runtime, client)
    integration_id = (await create_integration(client, admin))["integration"]["id"]
    created = await create_webhook(client, admin, integration_id, receiver.url())
    async with runtime.sessionmaker() as session:
        row = await session.scalar(
            select(WebhookEndpoint).where(WebhookEndpoint.id == created["id"])
        )
    assert row is not None and created["secret"] not in row.secret_encrypted

    rotated = await client.post(
        f"/v1/integrations/{integration_id}/webhooks/{created['id']}/rotate-secret",
        headers=admin,
    )
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert set(body) == {"id", "secret", "previousSecretExpiresAt"}
    assert body["secret"].startswith("whsec_") and body["secret"] != created["secret"]
    assert rotated.headers["cache-control"] == "no-store"


async def test_anonymous_callers_get_401_in_the_hub_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/integrations/int_0a1b/webhooks")
    assert response.status_code == 401
    assert set(response.json()) >= {"code", "message", "requestId"}
    assert response.json()["code"] == "UNAUTHORIZED"


async def test_a_driver_or_a_partners_user_may_not_manage_webhooks(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await admin_headers(runtime, client)
    created = await create_integration(client, admin)
    integration_id = created["integration"]["id"]
    _, driver = await signed_in(runtime, client, Role.USER)
    refused = await client.get(f"/v1/integrations/{integration_id}/webhooks", headers=driver)
    assert refused.status_code == 403
    assert refused.json()["code"] == "FORBIDDEN"
    user = await partner_user(client, created)
    signed = bearer(user["accessToken"])
    refused = await client.get(f"/v1/integrations/{integration_id}/webhooks", headers=signed)
    assert refused.status_code == 403


@pytest.mark.usefixtures("private_allowed")
async def test_another_integrations_webhooks_are_not_found(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    mine, partner = await _partner(client, runtime)
    theirs, other = await _partner(client, runtime)
    hook = await create_webhook(client, other, theirs, receiver.url())
    for path in (
        f"/v1/integrations/{theirs}/webhooks",
        f"/v1/integrations/{theirs}/webhooks/{hook['id']}",
        f"/v1/integrations/{mine}/webhooks/{hook['id']}",
        f"/v1/integrations/{mine}/webhooks/{hook['id']}/deliveries",
    ):
        response = await client.get(path, headers=partner)
        assert response.status_code == 404, path
        assert response.json()["code"] == "NOT_FOUND"


async def test_bad_input_is_422_in_the_hub_shape(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    integration_id, partner = await _partner(client, runtime)
    base = f"/v1/integrations/{integration_id}/webhooks"
    cases: list[dict[str, Any]] = [
        {"url": "https://hooks.example/x", "events": ["session.exploded"]},
        {"url": "https://hooks.example/x", "events": []},
        {"url": "https://hooks.example/" + "x" * 3000, "events": ["session.started"]},
        {"url": "https://hooks.example/x", "events": ["session.started"], "colour": "red"},
    ]
    for body in cases:
        response = await client.post(base, json=body, headers=partner)
        assert response.status_code == 422, body
        assert response.json()["code"] == "VALIDATION_ERROR"
        assert response.json()["details"]


@pytest.mark.parametrize(
    ("url", "addresses"),
    [
        ("http://127.0.0.1:9/hook", None),
        ("http://localhost.test/hook", ["127.0.0.1"]),
        ("http://169.254.169.254/latest/meta-data", None),
        ("https://internal.partner.test/hook", ["10.1.2.3"]),
        ("https://mixed.partner.test/hook", ["93.184.216.34", "192.168.0.7"]),
        ("http://[::1]:8080/hook", None),
        ("https://nowhere.partner.test/hook", []),
    ],
)
async def test_urls_reaching_private_addresses_are_refused_at_creation(
    client: httpx.AsyncClient,
    runtime: Runtime,
    resolve_to: dict[str, list[str]],
    url: str,
    addresses: list[str] | None,
) -> None:
    host = httpx.URL(url).host
    if addresses:
        resolve_to[host] = addresses
    integration_id, partner = await _partner(client, runtime)
    response = await client.post(
        f"/v1/integrations/{integration_id}/webhooks",
        json={"url": url, "events": ["session.started"]},
        headers=partner,
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "WEBHOOK_URL_REFUSED"
    assert response.json()["details"][0]["field"] == "url"


async def test_a_public_url_is_accepted(
    client: httpx.AsyncClient, runtime: Runtime, resolve_to: dict[str, list[str]]
) -> None:
    resolve_to["hooks.partner.test"] = ["93.184.216.34"]
    integration_id, partner = await _partner(client, runtime)
    created = await create_webhook(
        client, partner, integration_id, "https://hooks.partner.test/evcare"
    )
    assert created["url"] == "https://hooks.partner.test/evcare"


async def test_the_event_type_catalogue_has_a_schema_and_a_valid_example_per_type(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, partner = await _partner(client, runtime)
    response = await client.get("/v1/integrations/webhooks/event-types", headers=partner)
    assert response.status_code == 200
    types = {t["name"]: t for t in response.json()["data"]}
    for name in (
        "ping",
        "session.started",
        "session.completed",
        "booking.created",
        "booking.cancelled",
        "charger.status_changed",
        "payment.succeeded",
        "payment.failed",
        "invoice.created",
        "invoice.paid",
        "subscription.updated",
        "vehicle.created",
        "driver.updated",
        "maintenance.scheduled",
        "maintenance.completed",
        "ticket.created",
        "ticket.updated",
        "credentials.rotated",
    ):
        assert name in types, name
    for event in types.values():
        assert set(event) == {"name", "description", "published", "schema", "example"}
        Draft202012Validator(event["schema"]).validate(event["example"])
    assert types["session.started"]["published"] is True
    assert types["invoice.paid"]["published"] is True  # with the hub's invoices
    assert types["subscription.updated"]["published"] is True
    assert types["payment.failed"]["published"] is True
