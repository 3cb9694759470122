"""The admin UI in a real browser: an integration's secret shown once and copied, a
webhook's test ping and its replay to a real local receiver, the usage chart."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.browser import assert_every_control_is_labelled, screenshot
from tests.factories.identity import PASSWORD, make_user
from tests.factories.webhooks import Receiver, deliver_all


async def _sign_in_admin(page: Page, runtime: Runtime, target: str) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    await page.goto(target)
    await page.get_by_label("Email or phone").fill(admin.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(target)


async def test_an_integrations_secret_is_shown_once_and_copied(
    page: Page, runtime: Runtime
) -> None:
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await _sign_in_admin(page, runtime, "/admin/integrations")
    await page.get_by_label("Name", exact=True).fill("Acme Rides")
    await page.get_by_label("Contact email").fill("dev@acme.example")
    await page.get_by_label("CLIENT_ACCESS").check()
    await page.get_by_role("button", name="Create integration").click()
    await expect(page.get_by_role("heading", name="Integration created")).to_be_visible()
    await expect(page.get_by_role("alert")).to_contain_text("shown only once")
    secret = await page.locator("#secret-value").inner_text()
    assert secret.startswith("evc_cs_")
    await page.get_by_role("button", name="Copy secret").click()
    await expect(page.locator("#copy-status")).to_have_text("Copied")
    assert await page.evaluate("navigator.clipboard.readText()") == secret
    await screenshot(page, "admin-integration-secret")
    # The partner makes a call: it shows in the usage chart.
    client_id = await page.locator("#client-id").inner_text()
    issued = await page.request.post(
        "/v1/integrations/auth/client-token", data={"clientId": client_id, "clientSecret": secret}
    )
    token = (await issued.json())["accessToken"]
    plans = await page.request.get(
        "/v1/integrations/plans", headers={"Authorization": f"Bearer {token}"}
    )
    assert plans.ok
    await page.get_by_role("link", name="I have stored it: continue").click()
    await expect(page.locator("#usage-chart canvas")).to_be_visible()
    await expect(page.get_by_role("heading", name="Acme Rides")).to_be_visible()
    await expect(page.get_by_role("heading", name="Readiness checklist")).to_be_visible()
    await assert_every_control_is_labelled(page)
    assert secret not in await page.content()
    await page.reload()
    assert secret not in await page.content()
    await screenshot(page, "admin-integration")


@pytest.mark.usefixtures("private_allowed")
async def test_an_admin_adds_a_webhook_pings_it_and_replays_the_delivery(
    page: Page, runtime: Runtime, receiver: Receiver
) -> None:
    await _sign_in_admin(page, runtime, "/admin/integrations")
    await page.get_by_label("Name", exact=True).fill("Hooked")
    await page.get_by_label("Contact email").fill("dev@hooked.example")
    await page.get_by_label("ALL_ACCESS").check()
    await page.get_by_role("button", name="Create integration").click()
    await page.get_by_role("link", name="I have stored it: continue").click()
    await page.get_by_text("Add a webhook endpoint").click()
    await page.get_by_label("Endpoint URL").fill(receiver.url())
    await page.get_by_label("credentials.rotated").check()
    await page.get_by_role("button", name="Add webhook").click()
    await expect(page.get_by_role("heading", name="Webhook created")).to_be_visible()
    await expect(page.locator("#secret-value")).to_contain_text("whsec_")
    await page.get_by_role("link", name="I have stored it: continue").click()
    await page.get_by_role("button", name="Send a test ping").click()
    await expect(page.get_by_role("status")).to_contain_text("Test ping queued")
    await deliver_all(runtime)
    await page.reload()
    await expect(page.locator(".delivery-status").first).to_have_text("succeeded")
    await page.get_by_role("button", name="Replay delivery").first.click()
    await expect(page.get_by_role("status")).to_contain_text("Delivery queued again")
    await deliver_all(runtime)
    await page.reload()
    await expect(page.locator(".attempts li")).to_have_count(2)
    assert len(receiver.received) == 2
    assert len({item.headers["webhook-id"] for item in receiver.received}) == 1
    await assert_every_control_is_labelled(page)
    await screenshot(page, "admin-webhook-deliveries")
    for path in ("/admin/users", "/admin/stations", "/admin/kyc", "/admin/support"):
        await page.goto(path)
        await assert_every_control_is_labelled(page)
    await page.goto("/admin/refunds")
    await assert_every_control_is_labelled(page)
    await page.goto("/admin/settings")
    await assert_every_control_is_labelled(page)
    await screenshot(page, "admin-settings")
