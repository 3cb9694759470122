"""The driver portal in a real browser, clicked through as a driver would: register, add
a vehicle, top up the wallet through the (sandbox) Razorpay checkout, find a station,
book a connector, start charging from the booking and watch the session live while the
simulated charger sends MeterValues."""

from __future__ import annotations

import itertools
from datetime import datetime

from ocpp.v16 import call
from playwright.async_api import Page, expect

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.browser import screenshot
from tests.factories.identity import make_user
from tests.factories.ocpp import connect, iso, make_charger

_emails = itertools.count(1)


async def test_a_new_driver_tops_up_books_a_connector_and_charges(
    page: Page, runtime: Runtime, live_server: str
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    charger = await make_charger(runtime, owner=brand)
    email = f"portal-driver-{next(_emails)}@example.com"

    await page.goto("/sign-in")
    await page.get_by_role("link", name="Create an account").click()
    await page.get_by_label("Full name").fill("Asha Rao")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill("long-enough-1")
    await page.get_by_role("button", name="Create account").click()
    await expect(page).to_have_url("/app/")
    await expect(page.get_by_role("heading", name="My EVCare")).to_be_visible()

    await page.get_by_role("link", name="Vehicles").click()
    await page.get_by_label("Make").fill("Tata")
    await page.get_by_label("Model").fill("Nexon EV")
    await page.get_by_label("Year").fill("2024")
    await page.get_by_label("Battery (kWh)").fill("40.5")
    await page.get_by_label("Registration number").fill("KA01AB1234")
    await page.get_by_role("button", name="Add vehicle").click()
    await expect(page.get_by_role("row").filter(has_text="KA01AB1234")).to_be_visible()

    await page.get_by_role("link", name="Wallet").click()
    await page.get_by_label("Amount (₹)").fill("750")
    await page.get_by_role("button", name="Continue to payment").click()
    await expect(page.get_by_role("heading", name="Razorpay Checkout (sandbox)")).to_be_visible()
    await page.get_by_role("button", name="Pay ₹750").click()
    await expect(page).to_have_url("/app/wallet?credited=750")
    await expect(page.get_by_text("₹750 was added to your wallet.")).to_be_visible()
    await expect(page.locator("[data-balance]")).to_have_text("₹750")

    async with connect(live_server, charger.charge_point_id) as cp:
        await page.get_by_role("link", name="Find stations").click()
        await page.get_by_role("button", name="Search").click()
        await page.get_by_role("list", name="Stations found").get_by_role("link").click()
        await page.get_by_role("button", name="Book").click()
        await expect(page.get_by_text("confirmed.")).to_be_visible()
        await screenshot(page, "driver-bookings")
        await page.get_by_role("button", name="Start charging").click()
        await expect(page.get_by_role("heading", name="Charging session")).to_be_visible()
        transaction_id = await cp.started.get()
        await expect(page.get_by_text("Live updates on.")).to_be_visible()
        chart = page.locator("#power-chart")
        await expect(chart).to_have_attribute("data-points", "0")
        await cp.call(
            call.MeterValues(
                connector_id=1,
                transaction_id=transaction_id,
                meter_value=[
                    {
                        "timestamp": iso(datetime.now().astimezone()),
                        "sampled_value": [
                            {"value": "6000", "measurand": "Energy.Active.Import.Register"},
                            {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
                        ],
                    }
                ],
            )
        )
        await expect(chart).to_have_attribute("data-points", "1")
        await expect(page.locator('[data-live="power"]')).to_have_text("7.2")
        await expect(page.locator('[data-live="energyConsumed"]')).to_have_text("5")
        await screenshot(page, "driver-live-session")
        await page.get_by_role("link", name="Home").click()
        await expect(page.get_by_text("You are charging now")).to_be_visible()
        await expect(page.locator("[data-balance]")).to_have_text("₹700")
        await screenshot(page, "driver-portal")
