"""The admin UI's support tickets, refunds and settings over plain HTTP, through the same
services as EV-CMS's API."""

from __future__ import annotations

import re

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.console import console_sign_in, csrf_of
from tests.factories.identity import make_user, signed_in
from tests.factories.wallet import balance_minor, fund


async def _admin(client: httpx.AsyncClient, runtime: Runtime, page: str) -> str:
    await console_sign_in(client, await make_user(runtime, role=Role.ADMIN))
    return csrf_of(await client.get(page))


async def test_an_admin_answers_and_resolves_a_ticket(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.USER)
    opened = await client.post(
        "/api/v1/support/tickets",
        json={"subject": "Charger 7 is dead", "description": "No light", "category": "technical"},
        headers=headers,
    )
    assert opened.status_code == 201
    ticket_id = opened.json()["data"]["ticket"]["id"]
    token = await _admin(client, runtime, "/admin/support")
    listing = await client.get("/admin/support", params={"status": "open"})
    assert "Charger 7 is dead" in listing.text
    answered = await client.post(
        f"/admin/support/{ticket_id}/comments",
        data={"csrf_token": token, "comment": "A technician is on the way"},
    )
    assert answered.status_code == 303
    resolved = await client.post(
        f"/admin/support/{ticket_id}",
        data={"csrf_token": token, "status": "resolved", "priority": "high"},
    )
    assert resolved.headers["location"] == f"/admin/support/{ticket_id}?notice=updated"
    page = await client.get(resolved.headers["location"])
    assert "A technician is on the way" in page.text
    assert '<dd class="ticket-status">resolved</dd>' in page.text
    seen = await client.get(f"/api/v1/support/tickets/{ticket_id}", headers=headers)
    assert seen.json()["data"]["ticket"]["status"] == "resolved"
    bad = await client.post(
        f"/admin/support/{ticket_id}", data={"csrf_token": token, "status": "lost"}
    )
    assert bad.status_code == 422
    assert (await client.get("/admin/support/999999")).status_code == 404


async def test_an_admin_approves_a_refund_to_the_wallet(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    driver, headers = await signed_in(runtime, client, Role.USER)
    await fund(runtime, driver, 100_000)
    paid = await client.post(
        "/api/v1/profile/wallet/pay",
        json={"amount": 200, "description": "Charging"},
        headers=headers,
    )
    transaction_id = paid.json()["data"]["transaction"]["id"]
    asked = await client.post(
        "/api/v1/billing/refunds",
        json={"transactionId": transaction_id, "amount": 150, "reason": "Stopped early"},
        headers=headers,
    )
    assert asked.status_code == 201, asked.text
    before = await balance_minor(runtime, driver)
    token = await _admin(client, runtime, "/admin/refunds")
    queue = await client.get("/admin/refunds")
    assert "Stopped early" in queue.text
    refund_path = re.search(r'action="(/admin/refunds/[^"]+/process)"', queue.text)
    assert refund_path
    approved = await client.post(
        refund_path.group(1),
        data={"csrf_token": token, "status": "approved", "admin_notes": "fair"},
    )
    assert approved.headers["location"] == "/admin/refunds?notice=approved"
    assert await balance_minor(runtime, driver) == before + 15_000
    again = await client.post(
        refund_path.group(1), data={"csrf_token": token, "status": "rejected"}
    )
    assert again.status_code in (400, 409)
    assert "Stopped early" not in (await client.get("/admin/refunds")).text


async def test_an_admin_changes_the_settings_and_a_bad_value_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    token = await _admin(client, runtime, "/admin/settings")
    saved = await client.post(
        "/admin/settings",
        data={
            "csrf_token": token,
            "site_name": "EVCare Pune",
            "gst_percentage": "18",
            "cancellation_window": "45",
        },
    )
    assert saved.status_code == 303, saved.text
    page = await client.get("/admin/settings")
    assert 'value="EVCare Pune"' in page.text and 'value="45"' in page.text
    api = await client.get(
        "/api/v1/settings", headers={"Authorization": f"Bearer {client.cookies['evcare_access']}"}
    )
    assert api.json()["data"]["settings"]["general"]["siteName"] == "EVCare Pune"
    bad = await client.post(
        "/admin/settings",
        data={"csrf_token": token, "time_zone": "Mars/Olympus", "cancellation_window": "soon"},
    )
    assert bad.status_code == 422
    assert "time_zone" in bad.text or "timeZone" in bad.text
    assert "cancellationWindow" in bad.text


async def test_the_operations_pages_are_for_admins_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await console_sign_in(client, await make_user(runtime, role=Role.FRANCHISE))
    for path in ("/admin/support", "/admin/refunds", "/admin/settings"):
        assert (await client.get(path)).status_code == 403, path
