"""The operator console in a real browser: a brand watches its chargers live, sends a
command and reads the charger's answer, then follows a session whose power chart moves
while the simulated charger sends MeterValues."""

from __future__ import annotations

from datetime import datetime

from ocpp.v16 import call
from playwright.async_api import Page, expect

from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User
from tests.factories.browser import screenshot
from tests.factories.identity import PASSWORD, make_user
from tests.factories.ocpp import connect, iso, make_charger, make_driver, make_id_tag


async def sign_in(page: Page, user: User, lands_on: str) -> None:
    await page.goto("/sign-in")
    await page.get_by_label("Email or phone").fill(user.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(lands_on)


def power_reading(watts: int) -> list[dict[str, object]]:
    return [
        {
            "timestamp": iso(datetime.now().astimezone()),
            "sampled_value": [
                {"value": str(watts), "measurand": "Power.Active.Import", "unit": "W"}
            ],
        }
    ]


async def test_a_brand_commands_a_charger_and_watches_a_live_session_power_chart(
    page: Page, runtime: Runtime, live_server: str
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    charger = await make_charger(runtime, owner=brand)
    driver = await make_driver(runtime)
    tag = await make_id_tag(runtime, driver)
    async with connect(live_server, charger.charge_point_id) as cp:
        await sign_in(page, brand, "/console/")
        row = page.get_by_role("row").filter(has_text=charger.charge_point_id)
        await expect(page.get_by_text("Live updates on.")).to_be_visible()

        # The charger reports a connector status: the row follows without a reload.
        await cp.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing")
        )
        await expect(row.locator('[data-connector="1"] [data-connector-status]')).to_have_text(
            "Preparing"
        )
        await row.get_by_role("button", name="Reset").click()
        await expect(row.get_by_text("Reset: the charger answered Accepted")).to_be_visible()
        assert ("Reset", {"type": "Soft"}) in cp.received
        await row.get_by_role("button", name="Make unavailable").click()
        await expect(row.get_by_text("Unavailable: the charger answered Accepted")).to_be_visible()
        assert ("ChangeAvailability", {"connector_id": 1, "type": "Inoperative"}) in cp.received
        await screenshot(page, "operator-console")

        started = await cp.call(
            call.StartTransaction(
                connector_id=1,
                id_tag=tag,
                meter_start=1000,
                timestamp=iso(datetime.now().astimezone()),
            )
        )
        transaction_id = started.transaction_id
        await cp.call(
            call.MeterValues(
                connector_id=1, transaction_id=transaction_id, meter_value=power_reading(3600)
            )
        )
        await page.get_by_role("link", name="Live sessions").click()
        await (
            page.get_by_role("row")
            .filter(has_text=charger.charge_point_id)
            .get_by_role("link")
            .click()
        )
        chart = page.locator("#power-chart")
        await expect(chart).to_have_attribute("data-points", "1")
        await expect(page.get_by_text("Live updates on.")).to_be_visible()
        await expect(chart.locator("canvas")).to_be_visible()

        # The charger keeps reporting: each reading moves the chart and the figures.
        for points, watts in ((2, 7400), (3, 11200)):
            await cp.call(
                call.MeterValues(
                    connector_id=1,
                    transaction_id=transaction_id,
                    meter_value=power_reading(watts),
                )
            )
            await expect(chart).to_have_attribute("data-points", str(points))
            await expect(page.locator('[data-live="power"]')).to_have_text(str(watts / 1000))
        await screenshot(page, "operator-live-session")

        await cp.call(
            call.StopTransaction(
                meter_stop=9000,
                timestamp=iso(datetime.now().astimezone()),
                transaction_id=transaction_id,
                reason="Local",
            )
        )
        await expect(page.locator('[data-live="status"]')).to_have_text("completed")
