"""A real browser for the console's tests: Playwright driving Debian's Chromium
(``/usr/bin/chromium``, which ``.ci/run`` installs; Playwright's own browser download
is never used) against the test app served by uvicorn (:mod:`tests.factories.server`).

A conftest makes the fixtures available with
``from tests.factories.browser import browser, page``; ``screenshot(page, name)`` saves
``test-artifacts/<name>.png`` (CI keeps that folder as the run's artifacts).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser, live_server: str) -> AsyncIterator[Page]:
    """A fresh browser context (no cookies) whose relative URLs go to the live server.
    A script error, or anything the Content-Security-Policy refused, fails the test."""
    context = await browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(10_000)
    opened = await context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    # Chromium reports a CSP refusal as a console error starting "Refused to ...".
    opened.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            if message.type == "error" and message.text.startswith("Refused")
            else None
        ),
    )
    try:
        yield opened
    finally:
        await context.close()
    assert not problems, problems


async def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as ``test-artifacts/<name>.png``; returns the file."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def assert_every_control_is_labelled(page: Page) -> None:
    """Every visible input, select, textarea and button of the page has an accessible
    name: a ``<label>``, an ``aria-label``, or (a button) its text."""
    unnamed = await page.evaluate(
        """() => [...document.querySelectorAll("input, select, textarea, button")]
            .filter((el) => el.type !== "hidden")
            .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                && !(el.tagName === "BUTTON" && el.textContent.trim()))
            .map((el) => el.outerHTML)"""
    )
    assert not unnamed, unnamed
