"""The driver portal over plain HTTP: who may open it, that a driver reaches only their
own sessions, invoices, vehicles, bookings and tickets, and the forms' answers."""

from __future__ import annotations

from datetime import timedelta

import httpx

from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.console import console_sign_in, csrf_of
from tests.factories.identity import make_user
from tests.factories.invoices import make_invoice
from tests.factories.ocpp import make_charger, make_driver, make_session
from tests.factories.vehicles import make_vehicle
from tests.factories.wallet import balance_minor


async def test_anonymous_is_sent_to_sign_in_and_may_register(client: httpx.AsyncClient) -> None:
    response = await client.get("/app/wallet")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/app/wallet"
    assert (await client.get("/app/register")).status_code == 200


async def test_an_operator_cannot_open_the_driver_portal(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await console_sign_in(client, await make_user(runtime, role=Role.BRAND))
    for path in ("/app/", "/app/wallet", "/app/sessions", "/app/invoices", "/app/support"):
        assert (await client.get(path)).status_code == 403, path


async def test_registration_makes_a_signed_in_driver_and_refuses_a_taken_email(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    taken = await make_user(runtime)
    token = csrf_of(await client.get("/app/register"))
    form = {"csrf_token": token, "name": "Asha Rao", "password": "long-enough-1"}
    again = await client.post("/app/register", data={**form, "email": taken.email})
    assert again.status_code == 409
    assert "Create your account" in again.text
    bad = await client.post("/app/register", data={**form, "email": "not-an-email"})
    assert bad.status_code == 422
    made = await client.post("/app/register", data={**form, "email": "asha.rao@example.com"})
    assert made.status_code == 303 and made.headers["location"] == "/app/"
    home = await client.get("/app/")
    assert home.status_code == 200 and "Signed in (user)" in home.text


async def test_a_driver_sees_only_their_own_sessions_and_invoices(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    charger = await make_charger(runtime)
    driver, other = await make_driver(runtime), await make_driver(runtime)
    started = utcnow() - timedelta(hours=2)
    mine = await make_session(runtime, charger, user=driver, started_at=started)
    theirs = await make_session(runtime, charger, user=other, started_at=started)
    own_invoice = await make_invoice(runtime, driver, station_id=charger.station_id)
    their_invoice = await make_invoice(runtime, other, station_id=charger.station_id)
    await console_sign_in(client, driver)

    listing = await client.get("/app/sessions")
    assert f"SES{mine.id:06d}" in listing.text and f"SES{theirs.id:06d}" not in listing.text
    assert (await client.get(f"/app/sessions/SES{mine.id:06d}")).status_code == 200
    assert (await client.get(f"/app/sessions/SES{theirs.id:06d}")).status_code == 404

    invoices = await client.get("/app/invoices")
    assert own_invoice.number in invoices.text and their_invoice.number not in invoices.text
    pdf = await client.get(f"/app/invoices/{own_invoice.id}.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert (await client.get(f"/app/invoices/{their_invoice.id}.pdf")).status_code == 404


async def test_a_driver_manages_only_their_own_vehicles(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    driver, other = await make_user(runtime), await make_user(runtime)
    theirs = await make_vehicle(runtime, other)
    await console_sign_in(client, driver)
    token = csrf_of(await client.get("/app/vehicles"))
    form = {
        "csrf_token": token,
        "make": "MG",
        "model": "ZS EV",
        "year": "2023",
        "battery_capacity": "50.3",
        "registration_number": "KA05MN7777",
    }
    assert (await client.post("/app/vehicles", data=form)).status_code == 303
    page = await client.get("/app/vehicles")
    assert "KA05MN7777" in page.text and theirs.registration_number not in page.text
    bad = await client.post("/app/vehicles", data={**form, "year": "1800"})
    assert bad.status_code == 422
    gone = await client.post(f"/app/vehicles/{theirs.id}/delete", data={"csrf_token": token})
    assert gone.status_code == 404
    no_csrf = await client.post(f"/app/vehicles/{theirs.id}/delete")
    assert no_csrf.status_code == 403


async def test_a_driver_books_with_the_fee_from_the_wallet_and_cannot_touch_another_booking(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    charger = await make_charger(runtime)
    driver, other = await make_driver(runtime), await make_driver(runtime)
    vehicle = await make_vehicle(runtime, driver)
    before = await balance_minor(runtime, driver)
    await console_sign_in(client, driver)
    station = await client.get(f"/app/stations/{charger.station_id}")
    assert station.status_code == 200
    token = csrf_of(station)
    form = {
        "csrf_token": token,
        "station_id": str(charger.station_id),
        "connector_id": f"{charger.id}-1",
        "vehicle_id": str(vehicle.id),
        "starts_in": "60",
        "duration": "60",
    }
    booked = await client.post("/app/bookings", data=form)
    assert booked.status_code == 303, booked.text
    listing = await client.get(booked.headers["location"])
    assert "confirmed." in listing.text
    # The network's default reservation fee (Rs 50), paid from the wallet.
    assert await balance_minor(runtime, driver) == before - 5000
    again = await client.post("/app/bookings", data=form)
    assert again.status_code == 409
    bad = await client.post("/app/bookings", data={**form, "duration": "5"})
    assert bad.status_code == 422

    await console_sign_in(client, other)
    token = csrf_of(await client.get("/app/bookings"))
    cancel = await client.post("/app/bookings/1/cancel", data={"csrf_token": token})
    assert cancel.status_code == 404


async def test_a_topup_is_credited_only_by_its_own_drivers_sandbox_checkout(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    driver, other = await make_user(runtime), await make_user(runtime)
    await console_sign_in(client, other)
    token = csrf_of(await client.get("/app/wallet"))
    checkout = await client.post("/app/wallet/topup", data={"csrf_token": token, "amount": "300"})
    assert checkout.status_code == 200
    order_id = checkout.text.split("/app/wallet/checkout/", 1)[1].split('"', 1)[0]

    await console_sign_in(client, driver)
    token = csrf_of(await client.get("/app/wallet"))
    stolen = await client.post(f"/app/wallet/checkout/{order_id}", data={"csrf_token": token})
    assert stolen.status_code == 404
    assert await balance_minor(runtime, driver) == 0
    assert (
        await client.post("/app/wallet/topup", data={"csrf_token": token, "amount": "0.001"})
    ).status_code == 422
    await console_sign_in(client, other)
    token = csrf_of(await client.get("/app/wallet"))
    paid = await client.post(f"/app/wallet/checkout/{order_id}", data={"csrf_token": token})
    assert paid.status_code == 303 and paid.headers["location"] == "/app/wallet?credited=300"
    assert await balance_minor(runtime, other) == 30_000


async def test_a_driver_opens_a_ticket_and_nobody_else_reads_it(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    driver, other = await make_user(runtime), await make_user(runtime)
    await console_sign_in(client, driver)
    token = csrf_of(await client.get("/app/support"))
    opened = await client.post(
        "/app/support",
        data={
            "csrf_token": token,
            "subject": "Charger did not start",
            "description": "Connector 2 at MG Road stayed red.",
            "category": "technical",
        },
    )
    assert opened.status_code == 303
    ticket_url = opened.headers["location"]
    replied = await client.post(
        f"{ticket_url}/comments", data={"csrf_token": token, "message": "Still broken today"}
    )
    assert replied.status_code == 303
    assert "Still broken today" in (await client.get(ticket_url)).text
    await console_sign_in(client, other)
    assert (await client.get(ticket_url)).status_code == 404
    assert "Charger did not start" not in (await client.get("/app/support")).text
