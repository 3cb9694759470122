"""Booking notifications go out as email through a real (local) SMTP server when one is
configured; a failing server marks the email failed and leaves the in-app record."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from evcare.core.runtime import Runtime
from evcare.engagement import delivery
from tests.factories.bookings import Workshop, book, make_workshop, ok
from tests.factories.mail import Inbox, free_port, mailer_for


async def _email_logs(client: httpx.AsyncClient, runtime: Runtime, shop: Workshop) -> list[Any]:
    """The customer's email records once none is pending (the dispatcher runs meanwhile)."""
    for _ in range(100):
        await runtime.outbox.drain()
        logs = ok(
            await client.get("/notification/notifications/logs", headers=shop.customer.headers)
        )
        emails = [n for n in logs if n["channel"] == "email"]
        if emails and all(n["delivery_status"] != "pending" for n in emails):
            return emails
        await asyncio.sleep(0.05)
    raise AssertionError("email notifications still pending")


async def test_a_booking_notification_is_emailed_to_the_customer_through_smtp(
    client: httpx.AsyncClient,
    runtime: Runtime,
    smtp_inbox: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port = smtp_inbox
    monkeypatch.setattr(delivery.senders, "mailer", mailer_for(port))
    shop = await make_workshop(runtime, client)
    await book(client, shop)
    emails = await _email_logs(client, runtime, shop)
    assert [e["delivery_status"] for e in emails] == ["sent"]
    (sender, recipients, content) = inbox.messages[-1]
    assert sender == "no-reply@evcare.dev" and recipients == [shop.customer.user.email]
    assert "Subject: Booking received" in content


async def test_an_unreachable_smtp_server_marks_the_email_failed_and_keeps_the_in_app_record(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery.senders, "mailer", mailer_for(free_port()))
    shop = await make_workshop(runtime, client)
    await book(client, shop)
    emails = await _email_logs(client, runtime, shop)
    assert [e["delivery_status"] for e in emails] == ["failed"]
    logs = ok(await client.get("/notification/notifications/logs", headers=shop.customer.headers))
    assert [n["delivery_status"] for n in logs if n["channel"] == "in_app"] == ["delivered"]
