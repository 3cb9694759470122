"""A notice goes to the channels its recipient's preferences allow: in-app always stored,
email over a real local SMTP server, SMS through the Twilio stand-in. Every attempt is
recorded; a failed channel is retried from the outbox and holds up no other."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from evcare.core.clock import clock
from evcare.core.events import OutboxEvent
from evcare.core.runtime import Runtime
from evcare.engagement import delivery, sms
from evcare.engagement.notification_models import DeliveryAttempt, Notification
from evcare.engagement.preferences import Subject
from evcare.identity.models import User
from tests.factories.identity import bearer, login, make_user
from tests.factories.mail import Inbox, mailer_for
from tests.factories.notifications import notify
from tests.factories.twilio import TwilioStandIn

PREFERENCES = "/api/v1/notifications/preferences"


async def _records(runtime: Runtime, user: User) -> dict[str, Notification]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(select(Notification).where(Notification.user_id == user.id))
        return {row.channel: row for row in rows}


async def _attempts(runtime: Runtime, notification_id: int) -> list[tuple[str, str | None]]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.notification_id == notification_id)
            .order_by(DeliveryAttempt.number)
        )
        return [(row.outcome, row.error) for row in rows]


async def _want_sms(client: httpx.AsyncClient, user: User) -> None:
    response = await client.put(
        PREFERENCES,
        json={"sms": {"bookingConfirmation": True, "paymentConfirmation": True}},
        headers=bearer(await login(client, user)),
    )
    assert response.status_code == 200, response.text


async def test_an_sms_goes_through_twilios_messages_api_when_the_user_asked_for_it(
    client: httpx.AsyncClient,
    runtime: Runtime,
    twilio: TwilioStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery.senders, "sms", twilio.client())
    user = await make_user(runtime, phone="+919812345678")
    await _want_sms(client, user)
    await notify(runtime, user, title="Booking confirmed", subject=Subject.BOOKING)
    await runtime.outbox.drain()
    records = await _records(runtime, user)
    assert set(records) == {"in_app", "email", "sms"}
    assert records["sms"].delivery_status == "sent"
    (message,) = twilio.messages
    assert message["to"] == "+919812345678" and message["from"] == twilio.sender
    assert message["body"] == "Booking confirmed: Something happened"
    async with runtime.sessionmaker() as session:
        attempt = (await session.scalars(select(DeliveryAttempt))).one()
    assert (attempt.outcome, attempt.provider_reference) == ("sent", message["sid"])


async def test_no_sms_unless_the_user_switched_it_on_or_twilio_is_configured(
    client: httpx.AsyncClient,
    runtime: Runtime,
    twilio: TwilioStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = await make_user(runtime, phone="+919812345679")
    await _want_sms(client, user)
    await notify(runtime, user)  # Twilio not configured in this process
    monkeypatch.setattr(delivery.senders, "sms", twilio.client())
    other = await make_user(runtime, phone="+919812345670")
    await notify(runtime, other)  # configured, but the default is off
    await runtime.outbox.drain()
    assert set(await _records(runtime, user)) == {"in_app", "email"}
    assert set(await _records(runtime, other)) == {"in_app", "email"}
    assert twilio.messages == []


async def test_switches_decide_the_channels_of_each_subject(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime)
    headers = bearer(await login(client, user))
    await client.put(PREFERENCES, json={"email": {"sessionComplete": False}}, headers=headers)
    await notify(runtime, user, category="session", subject=Subject.SESSION_COMPLETE)
    await notify(runtime, user, category="promotion", subject=Subject.PROMOTION)
    await notify(runtime, user, category="security", subject=None)
    async with runtime.sessionmaker() as session:
        rows = await session.execute(
            select(Notification.category, Notification.channel).where(
                Notification.user_id == user.id
            )
        )
        channels = sorted((category, channel) for category, channel in rows.all())
    assert channels == [
        ("promotion", "in_app"),  # promotions by email are off by default
        ("security", "email"),  # security notices ignore the switches
        ("security", "in_app"),
        ("session", "in_app"),
    ]


async def test_a_failing_sms_is_recorded_and_retried_while_email_goes_out_at_once(
    client: httpx.AsyncClient,
    runtime: Runtime,
    twilio: TwilioStandIn,
    smtp_inbox: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
    frozen_clock: None,
) -> None:
    inbox, port = smtp_inbox
    monkeypatch.setattr(delivery.senders, "mailer", mailer_for(port))
    monkeypatch.setattr(delivery.senders, "sms", twilio.client())
    user = await make_user(runtime, phone="12345")  # not E.164: Twilio refuses it
    await _want_sms(client, user)
    await notify(runtime, user, title="Payment received", subject=Subject.PAYMENT)
    await runtime.outbox.drain()
    records = await _records(runtime, user)
    assert records["in_app"].delivery_status == "delivered"
    assert records["email"].delivery_status == "sent"
    assert [recipients for _, recipients, _ in inbox.messages] == [[user.email]]
    assert records["sms"].delivery_status == "failed"
    assert await _attempts(runtime, records["sms"].id) == [
        ("failed", "SmsRefused: HTTP 400 code 21211")
    ]
    async with runtime.sessionmaker() as session:
        retry = (
            await session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.topic == delivery.DELIVERY_TOPIC)
                .where(OutboxEvent.dispatched_at.is_(None))
            )
        ).one()
        assert retry.payload == {"notificationId": records["sms"].id}
        assert retry.available_at >= clock.now() + delivery.FIRST_RETRY - timedelta(seconds=1)
        await session.execute(update(User).where(User.id == user.id).values(phone="+14155550100"))
        await session.commit()

    await runtime.outbox.drain()  # not due yet: nothing is tried
    assert len(await _attempts(runtime, records["sms"].id)) == 1
    clock.advance(delivery.FIRST_RETRY + timedelta(seconds=1))
    await runtime.outbox.drain()
    assert await _attempts(runtime, records["sms"].id) == [
        ("failed", "SmsRefused: HTTP 400 code 21211"),
        ("sent", None),
    ]
    assert (await _records(runtime, user))["sms"].delivery_status == "sent"
    assert [m["to"] for m in twilio.messages] == ["+14155550100"]
    assert len(inbox.messages) == 1  # the email was not sent again


async def test_a_redelivered_delivery_event_sends_nothing_twice(
    runtime: Runtime, smtp_inbox: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp_inbox
    monkeypatch.setattr(delivery.senders, "mailer", mailer_for(port))
    user = await make_user(runtime)
    rows = await notify(runtime, user)
    email = next(row for row in rows if row.channel == "email")
    await runtime.outbox.drain()
    async with runtime.sessionmaker() as session:
        await delivery.schedule(session, email.id, after=None)  # as a redelivery would
        await session.commit()
    await runtime.outbox.drain()
    assert len(inbox.messages) == 1
    assert await _attempts(runtime, email.id) == [("sent", None)]


async def test_wrong_twilio_credentials_are_a_failed_attempt_naming_twilios_code(
    client: httpx.AsyncClient,
    runtime: Runtime,
    twilio: TwilioStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong = sms.TwilioSender(
        account_sid=twilio.account_sid,
        auth_token="not-the-token",
        sender=twilio.sender,
        base_url=twilio.base_url,
    )
    monkeypatch.setattr(delivery.senders, "sms", wrong)
    user = await make_user(runtime, phone="+919812345677")
    await _want_sms(client, user)
    await notify(runtime, user)
    await runtime.outbox.drain()
    record = (await _records(runtime, user))["sms"]
    assert await _attempts(runtime, record.id) == [("failed", "SmsRefused: HTTP 401 code 20003")]
    assert twilio.messages == []


def test_twilio_is_used_only_when_all_three_settings_are_given(runtime: Runtime) -> None:
    assert sms.sender_for(runtime.settings) is None
    partial = runtime.settings.model_copy(update={"twilio_account_sid": "AC1"})
    assert sms.sender_for(partial) is None
    full = partial.model_copy(update={"twilio_auth_token": SecretStr("t"), "twilio_from": "MG123"})
    sender = sms.sender_for(full)
    assert sender is not None and sender.sender == "MG123" and sender.auth_token == "t"
