"""The embed portal in a real browser: a partner's link lands its user signed in."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from evcare.core.runtime import Runtime
from tests.factories.browser import screenshot
from tests.factories.integrations import admin_headers, client_token, create_integration, exchange


async def test_a_partner_link_lands_its_user_in_the_portal(
    page: Page, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await create_integration(
        client, await admin_headers(runtime, client), bundles=["ALL_ACCESS"]
    )
    token = await client_token(client, created["credentials"])
    exchanged = await exchange(client, token, created["integration"]["id"])
    code = exchanged.json()["sessionCode"]
    await page.goto(f"/v1/integrations/embed?sessionCode={code}")
    await expect(page).to_have_url("/v1/integrations/embed")
    await expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    await expect(page.get_by_role("heading", name="Your support tickets")).to_be_visible()
    await screenshot(page, "embed-portal")
    await page.get_by_role("button", name="Sign out").click()
    await page.goto("/v1/integrations/embed")
    await expect(page).to_have_url("/sign-in?next=/v1/integrations/embed")
