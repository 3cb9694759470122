"""Signing in to the console in a real browser, by keyboard and by clicking."""

from __future__ import annotations

from playwright.async_api import Page, expect

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.browser import screenshot
from tests.factories.identity import PASSWORD, make_user


async def test_an_admin_signs_in_from_a_protected_page_and_signs_out(
    page: Page, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    await page.goto("/admin/")
    await expect(page).to_have_url("/sign-in?next=/admin/")
    await screenshot(page, "sign-in")
    # The skip link is the first stop of the keyboard, then the form works by keyboard.
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    await page.get_by_label("Email or phone").fill(admin.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("Password").press("Enter")
    await expect(page).to_have_url("/admin/")
    await expect(page.get_by_role("heading", name="Admin", exact=True)).to_be_visible()
    await expect(page.get_by_role("link", name="Admin", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    cookies = {cookie["name"]: cookie for cookie in await page.context.cookies()}
    assert cookies["evcare_access"]["httpOnly"] is True
    assert cookies["evcare_access"]["sameSite"] == "Lax"
    # The vendored libraries load under the policy (a refusal would fail the test).
    await page.add_script_tag(url="/console-assets/vendor/uplot/uPlot.iife.min.js")
    assert await page.evaluate("typeof uPlot") == "function"
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url("/sign-in")
    await page.goto("/admin/")
    await expect(page).to_have_url("/sign-in?next=/admin/")


async def test_an_inline_script_is_refused_by_the_policy(page: Page) -> None:
    await page.goto("/sign-in")
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    await page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = 1'; document.body.appendChild(s); }"
    )
    assert await page.evaluate("window.injected") is None
    assert any("Content Security Policy" in text for text in refused)
    refused.clear()  # the page fixture fails on refusals; this one was provoked


async def test_a_console_page_connects_to_socket_io_with_its_sign_in_cookie(
    page: Page, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    await page.goto("/sign-in")
    await page.get_by_label("Email or phone").fill(admin.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url("/admin/")
    await page.add_script_tag(url="/console-assets/vendor/socket.io/socket.io.min.js")
    user_id = await page.evaluate(
        """() => new Promise((resolve, reject) => {
            const socket = io({ transports: ["websocket"] });
            socket.on("authenticated", (data) => resolve(data.userId));
            socket.on("unauthorized", (data) => reject(new Error(data.message)));
        })"""
    )
    assert user_id == str(admin.id)
