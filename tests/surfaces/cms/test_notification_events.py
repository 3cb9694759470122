"""The driver events that notify: a connector booking confirmed and cancelled, a wallet
payment received (its SMS when the driver asked for payment confirmations)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from evcare.charging.bookings import jobs
from evcare.core.clock import clock, utcnow
from evcare.core.runtime import Runtime
from evcare.engagement import delivery
from evcare.identity.models import User
from tests.factories.connector_bookings import book, bookable_charger, driver
from tests.factories.identity import signed_in
from tests.factories.razorpay import RazorpayStandIn
from tests.factories.twilio import TwilioStandIn

INBOX = "/api/v1/notifications"


async def _titles(client: httpx.AsyncClient, headers: dict[str, str], kind: str) -> list[str]:
    response = await client.get(f"{INBOX}?type={kind}", headers=headers)
    assert response.status_code == 200, response.text
    return [n["title"] for n in response.json()["data"]["notifications"]]


async def test_a_connector_booking_confirmed_then_cancelled_notifies_its_driver(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    who = await driver(runtime, client)
    charger = await bookable_charger(runtime)
    booking = await book(client, who, charger, at=utcnow() + timedelta(hours=3))
    await runtime.outbox.drain()
    assert await _titles(client, who.headers, "booking") == ["Booking confirmed"]
    cancelled = await client.put(
        f"/api/v1/bookings/{booking['id']}/cancel",
        json={"reason": "Plans changed"},
        headers=who.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    await runtime.outbox.drain()
    titles = await _titles(client, who.headers, "booking")
    assert titles == ["Booking cancelled", "Booking confirmed"]
    listed = await client.get(f"{INBOX}?type=booking", headers=who.headers)
    latest = listed.json()["data"]["notifications"][0]
    assert booking["bookingNumber"] in latest["message"]
    assert latest["data"]["bookingId"] == str(booking["id"])


async def test_a_wallet_top_up_is_a_payment_received_notice_and_an_sms_when_asked(
    client: httpx.AsyncClient,
    runtime: Runtime,
    razorpay: RazorpayStandIn,
    twilio: TwilioStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery.senders, "sms", twilio.client())
    user, headers = await signed_in(runtime, client)
    async with runtime.sessionmaker() as session:
        await session.execute(update(User).where(User.id == user.id).values(phone="+919876500001"))
        await session.commit()
    await client.put(
        f"{INBOX}/preferences", json={"sms": {"paymentConfirmation": True}}, headers=headers
    )
    opened = await client.post(
        "/api/v1/profile/wallet/topup",
        json={"amount": 250, "paymentMethod": "upi"},
        headers=headers,
    )
    assert opened.status_code in (200, 201), opened.text
    paid = razorpay.checkout(str(opened.json()["data"]["checkout"]["orderId"]))
    verified = await client.post("/api/v1/profile/wallet/topup/verify", json=paid, headers=headers)
    assert verified.status_code == 200, verified.text
    await runtime.outbox.drain()
    notices = (await client.get(f"{INBOX}?type=payment", headers=headers)).json()["data"]
    (notice,) = notices["notifications"]
    assert notice["title"] == "Payment received"
    assert notice["data"] == {"amount": 250, "currency": "INR", "balance": 250}
    assert [m["to"] for m in twilio.messages] == ["+919876500001"]
    assert twilio.messages[0]["body"].startswith("Payment received: ")


async def test_the_booking_reminder_is_an_in_app_notification_too(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    who = await driver(runtime, client)
    charger = await bookable_charger(runtime)
    booking = await book(client, who, charger, at=utcnow() + timedelta(minutes=20))
    clock.advance(timedelta(minutes=5, seconds=1))
    assert await jobs.send_reminders(runtime) == [int(booking["id"])]
    await runtime.outbox.drain()
    listed = await client.get(f"{INBOX}?type=booking", headers=who.headers)
    reminder = listed.json()["data"]["notifications"][0]
    assert reminder["title"] == "Booking starts soon"
    assert reminder["data"] == {
        "bookingId": str(booking["id"]),
        "bookingNumber": booking["bookingNumber"],
    }
