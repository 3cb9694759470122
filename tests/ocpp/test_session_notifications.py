"""A driver's charging session started and completed by a real charge point: each is a
notification in the inbox and heard live as socket.io ``notification``; the completion is
emailed (through a real local SMTP server) unless the driver switched that off."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from ocpp.v16 import call

from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.engagement import delivery
from tests.factories.identity import bearer, login, make_user
from tests.factories.mail import Inbox, mailer_for
from tests.factories.ocpp import connect, iso, make_charger, make_id_tag
from tests.factories.realtime import connected
from tests.factories.wallet import fund


async def test_session_start_and_completion_notify_the_driver_live_and_by_email(
    live_server: str,
    runtime: Runtime,
    client: httpx.AsyncClient,
    smtp_inbox: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port = smtp_inbox
    monkeypatch.setattr(delivery.senders, "mailer", mailer_for(port))
    charger = await make_charger(runtime)
    driver = await make_user(runtime)
    await fund(runtime, driver, 100_000)
    tag = await make_id_tag(runtime, driver)
    token = await login(client, driver)
    start = utcnow() - timedelta(minutes=30)
    async with (
        connected(live_server, token=token) as socket,
        connect(live_server, charger.charge_point_id) as cp,
    ):
        started = await cp.call(
            call.StartTransaction(
                connector_id=1, id_tag=tag, meter_start=1000, timestamp=iso(start)
            )
        )
        heard_start = (await socket.next("notification"))["notification"]
        await cp.call(
            call.StopTransaction(
                meter_stop=11_000,
                timestamp=iso(start + timedelta(minutes=20)),
                transaction_id=started.transaction_id,
                reason="Local",
            )
        )
        heard_stop = (await socket.next("notification"))["notification"]
    assert (heard_start["type"], heard_start["title"]) == ("session", "Charging started")
    assert (heard_stop["type"], heard_stop["title"]) == ("session", "Charging complete")
    assert heard_stop["message"].endswith("is complete: 10 kWh for 200 INR.")
    listed = await client.get("/api/v1/notifications?type=session", headers=bearer(token))
    titles = [n["title"] for n in listed.json()["data"]["notifications"]]
    assert titles == ["Charging complete", "Charging started"]
    await runtime.outbox.drain()
    subjects = [content for _, _, content in inbox.messages if "Subject: Charging" in content]
    # Only the completion goes by email (the start is a push matter, no email switch).
    assert len(subjects) == 1 and "Subject: Charging complete" in subjects[0]


async def test_a_driver_who_switched_in_app_off_hears_nothing_live(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger = await make_charger(runtime)
    driver = await make_user(runtime)
    tag = await make_id_tag(runtime, driver)
    token = await login(client, driver)
    off = await client.put(
        "/api/v1/notifications/preferences",
        json={"inApp": {"all": False}},
        headers=bearer(token),
    )
    assert off.status_code == 200
    async with (
        connected(live_server, token=token) as socket,
        connect(live_server, charger.charge_point_id) as cp,
    ):
        await cp.call(
            call.StartTransaction(
                connector_id=1, id_tag=tag, meter_start=0, timestamp=iso(utcnow())
            )
        )
        await socket.next("session-started")  # the session event itself still comes
        await runtime.outbox.drain()
    assert socket.received("notification") == []
    listed = await client.get("/api/v1/notifications", headers=bearer(token))
    assert listed.json()["data"]["unreadCount"] == 0
