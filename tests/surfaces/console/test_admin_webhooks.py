"""The admin UI's webhooks over plain HTTP: create (the signing secret shown once), a
test ping and its delivery log, replay to a real local receiver."""

from __future__ import annotations

import re

import httpx
import pytest

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.console import console_sign_in, csrf_of
from tests.factories.identity import make_user
from tests.factories.webhooks import Receiver, deliver_all

pytestmark = pytest.mark.usefixtures("private_allowed")


async def _integration(
    client: httpx.AsyncClient, runtime: Runtime, name: str = "Hooked"
) -> tuple[str, str]:
    await console_sign_in(client, await make_user(runtime, role=Role.ADMIN))
    token = csrf_of(await client.get("/admin/integrations"))
    created = await client.post(
        "/admin/integrations",
        data={
            "csrf_token": token,
            "name": name,
            "contact_email": "dev@hooked.example",
            "bundles": ["CLIENT_ACCESS"],
        },
    )
    found = re.search(r'href="/admin/integrations/(int_[0-9a-f]+)"', created.text)
    assert found, created.text
    return found.group(1), token


async def test_a_webhook_is_created_tested_and_replayed(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    integration_id, token = await _integration(client, runtime)
    created = await client.post(
        f"/admin/integrations/{integration_id}/webhooks",
        data={"csrf_token": token, "url": receiver.url(), "events": ["credentials.rotated"]},
    )
    assert created.status_code == 201
    assert re.search(r'<code id="secret-value">whsec_[^<]+</code>', created.text)
    page_url = re.search(r'href="(/admin/integrations/int_\w+/webhooks/wh_\w+)"', created.text)
    assert page_url
    tested = await client.post(f"{page_url.group(1)}/test", data={"csrf_token": token})
    assert tested.status_code == 303
    await deliver_all(runtime)
    page = await client.get(page_url.group(1))
    assert "whsec_" not in page.text
    assert "<code>ping</code>" in page.text
    assert '<td class="delivery-status">succeeded</td>' in page.text
    assert "HTTP 200" in page.text
    delivery = re.search(r"/deliveries/(msg_\w+)/replay", page.text)
    assert delivery
    replayed = await client.post(
        f"{page_url.group(1)}/deliveries/{delivery.group(1)}/replay", data={"csrf_token": token}
    )
    assert replayed.status_code == 303
    await deliver_all(runtime)
    assert len(receiver.received) == 2
    ids = {item.headers["webhook-id"] for item in receiver.received}
    assert len(ids) == 1  # a replay is the same delivery again


async def test_a_bad_webhook_form_is_shown_again_with_its_errors(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    integration_id, token = await _integration(client, runtime)
    refused = await client.post(
        f"/admin/integrations/{integration_id}/webhooks",
        data={"csrf_token": token, "url": "not a url", "events": ["no.such.event"]},
    )
    assert refused.status_code == 422
    assert "Not saved" in refused.text


async def test_another_integrations_webhook_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    first, token = await _integration(client, runtime)
    created = await client.post(
        f"/admin/integrations/{first}/webhooks",
        data={"csrf_token": token, "url": receiver.url(), "events": ["credentials.rotated"]},
    )
    webhook = re.search(r"/webhooks/(wh_\w+)", created.text)
    assert webhook
    second, _ = await _integration(client, runtime, name="Other")
    missing = await client.get(f"/admin/integrations/{second}/webhooks/{webhook.group(1)}")
    assert missing.status_code == 404
