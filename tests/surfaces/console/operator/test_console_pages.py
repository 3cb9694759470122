"""The operator console over plain HTTP: who may open it, whose chargers and sessions it
shows, and the command endpoint's answers (CSRF, validation, someone else's charger)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.console import console_sign_in, csrf_of
from tests.factories.franchises import hand, make_franchise, make_staff
from tests.factories.identity import make_user
from tests.factories.invoices import make_invoice
from tests.factories.ocpp import make_charger, make_driver, make_session


async def test_anonymous_is_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/console/sessions")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/console/sessions"


async def test_a_driver_cannot_open_the_operator_console(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await console_sign_in(client, await make_user(runtime))
    for path in ("/console/", "/console/sessions", "/console/maintenance", "/console/reports"):
        response = await client.get(path)
        assert response.status_code == 403, path
        assert "This page is not for your role" in response.text


async def test_a_brand_sees_only_its_own_chargers(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    own = await make_charger(runtime, owner=brand)
    other = await make_charger(runtime)
    await console_sign_in(client, brand)
    page = await client.get("/console/")
    assert page.status_code == 200
    assert f'data-charger="{own.charge_point_id}"' in page.text
    assert other.charge_point_id not in page.text
    assert "<script>" not in page.text


async def test_franchise_staff_see_the_chargers_of_the_stations_handed_to_them(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    handed = await make_charger(runtime, owner=brand)
    kept = await make_charger(runtime, owner=brand)
    franchise = await make_franchise(runtime, brand)
    await hand(runtime, handed.station_id, franchise)
    await console_sign_in(client, await make_staff(runtime, franchise))
    page = await client.get("/console/")
    assert page.status_code == 200
    assert f'data-charger="{handed.charge_point_id}"' in page.text
    assert kept.charge_point_id not in page.text


async def test_a_command_needs_the_csrf_token_and_a_known_command(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    charger = await make_charger(runtime, owner=brand)
    await console_sign_in(client, brand)
    token = csrf_of(await client.get("/console/"))
    url = f"/console/chargers/{charger.id}/commands"
    json_headers = {"Accept": "application/json"}
    refused = await client.post(url, json={"command": "Reset"}, headers=json_headers)
    assert refused.status_code == 403
    headers = {**json_headers, "X-CSRF-Token": token}
    bad = await client.post(url, json={"command": "SelfDestruct"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["error"] == "validation_failed"
    assert "command" in bad.json()["message"]
    # A real command to a charger that is not connected: the service's 409, as JSON.
    offline = await client.post(url, json={"command": "Reset"}, headers=headers)
    assert offline.status_code == 409, offline.text
    assert offline.json()["error"] == "conflict"


async def test_someone_elses_charger_or_session_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    other = await make_charger(runtime)
    theirs = await make_session(
        runtime, other, user=await make_driver(runtime), started_at=utcnow() - timedelta(hours=1)
    )
    await console_sign_in(client, brand)
    token = csrf_of(await client.get("/console/"))
    headers = {"Accept": "application/json", "X-CSRF-Token": token}
    command = await client.post(
        f"/console/chargers/{other.id}/commands", json={"command": "Reset"}, headers=headers
    )
    assert command.status_code == 404
    assert (await client.get(f"/console/sessions/{theirs.id}")).status_code == 404
    listing = await client.get("/console/sessions")
    assert listing.status_code == 200
    assert other.charge_point_id not in listing.text


async def test_a_brand_opens_its_own_session_with_its_power_readings(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    charger = await make_charger(runtime, owner=brand)
    row = await make_session(
        runtime, charger, user=await make_driver(runtime), started_at=utcnow() - timedelta(hours=1)
    )
    await console_sign_in(client, brand)
    listing = await client.get("/console/sessions")
    assert f"/console/sessions/SES{row.id:06d}" in listing.text
    page = await client.get(f"/console/sessions/SES{row.id:06d}")
    assert page.status_code == 200
    assert 'id="session-data"' in page.text
    assert (await client.get("/console/sessions/not-a-session")).status_code == 422


async def test_a_brand_schedules_maintenance_on_its_charger_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    charger = await make_charger(runtime, owner=brand)
    other = await make_charger(runtime)
    await console_sign_in(client, brand)
    page = await client.get("/console/maintenance")
    assert page.status_code == 200
    token = csrf_of(page)
    form = {
        "csrf_token": token,
        "type": "preventive",
        "priority": "high",
        "description": "Replace the cable",
        "in_days": "2",
    }
    done = await client.post("/console/maintenance", data={**form, "charger_id": charger.id})
    assert done.status_code == 303
    listed = await client.get("/console/maintenance")
    assert "Replace the cable" in listed.text and charger.charge_point_id in listed.text
    theirs = await client.post("/console/maintenance", data={**form, "charger_id": other.id})
    assert theirs.status_code == 404
    bad = await client.post(
        "/console/maintenance", data={**form, "charger_id": charger.id, "type": "x"}
    )
    assert bad.status_code == 422


async def test_reports_show_the_brands_revenue_and_export_only_its_invoices(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    own = await make_charger(runtime, owner=brand)
    other = await make_charger(runtime)
    driver = await make_driver(runtime)
    mine = await make_invoice(runtime, driver, station_id=own.station_id)
    theirs = await make_invoice(runtime, driver, station_id=other.station_id)
    await console_sign_in(client, brand)
    page = await client.get("/console/reports")
    assert page.status_code == 200
    assert 'id="revenue-data"' in page.text
    today = utcnow().date().isoformat()
    csv = await client.get(f"/console/reports/export?start={today}&end={today}&format=csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("invoiceNumber,createdAt")
    assert mine.number in csv.text
    assert theirs.number not in csv.text
    xlsx = await client.get(f"/console/reports/export?start={today}&end={today}&format=xlsx")
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    backwards = await client.get(f"/console/reports/export?start={today}&end=2000-01-01")
    assert backwards.status_code == 422
