"""The developer hub in a real browser: reading the library, asking the questionnaire."""

from __future__ import annotations

from playwright.async_api import Page, expect

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.browser import assert_every_control_is_labelled, screenshot
from tests.factories.identity import PASSWORD, make_user


async def test_an_admin_asks_the_questionnaire_and_reads_a_document(
    page: Page, runtime: Runtime, live_server: str
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    await page.goto("/developer-hub")
    await expect(page.get_by_text(f'API_BASE="{live_server}"')).to_be_visible()
    await screenshot(page, "developer-hub")
    await page.get_by_role("link", name="Sign in as an admin").click()
    await page.get_by_label("Email or phone").fill(admin.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url("/developer-hub#questionnaire")
    await page.get_by_label("You embed EVCare's hosted portal").check()
    await page.get_by_role("button", name="Recommend access").click()
    result = page.get_by_role("status").filter(has_text="Recommendation")
    await expect(result).to_contain_text("ALL_ACCESS")
    await expect(result).to_contain_text("100%")
    await expect(result).to_contain_text("The hosted embed portal is only in ALL_ACCESS.")
    await expect(page.get_by_label("You embed EVCare's hosted portal")).to_be_checked()
    await assert_every_control_is_labelled(page)
    await screenshot(page, "developer-hub-questionnaire")
    await page.get_by_role("link", name="Quickstart", exact=True).last.click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Quickstart")
