"""Webhook delivery end to end: committed events through the outbox to a real local
receiver, signed (verified with ``standardwebhooks`` and with Svix's verifier), retried
on the documented schedule, in order per resource, disabled by 410, replayed and
recovered, and guarded against SSRF at every attempt."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
import standardwebhooks
import svix.webhooks
from sqlalchemy import select

from evcare.charging import events as charging
from evcare.core.clock import clock, utcnow
from evcare.core.events import publish
from evcare.core.runtime import Runtime
from evcare.engagement.notification_models import Notification
from evcare.identity import organizations
from evcare.identity.models import AccountRole
from evcare.integrations.webhooks import outcomes, repository
from evcare.integrations.webhooks.delivery import runner_of
from evcare.integrations.webhooks.models import WebhookAttempt
from evcare.integrations.webhooks.outcomes import RETRY_DELAYS
from tests.factories.identity import bearer
from tests.factories.integrations import (
    admin_headers,
    client_token,
    create_integration,
    exchange,
    partner_user,
)
from tests.factories.webhooks import Receiver, create_webhook, deliver_all
from tests.surfaces.hub.test_subscriptions import load_plans

pytestmark = pytest.mark.usefixtures("private_allowed")


async def _partner(
    client: httpx.AsyncClient, runtime: Runtime
) -> tuple[str, dict[str, str], dict[str, str]]:
    """An integration's id, its token's headers and an admin's headers."""
    admin = await admin_headers(runtime, client)
    created = await create_integration(client, admin)
    token = await client_token(client, created["credentials"])
    return created["integration"]["id"], bearer(token), admin


async def _rotate(client: httpx.AsyncClient, admin: dict[str, str], integration_id: str) -> None:
    response = await client.post(
        f"/v1/integrations/{integration_id}/credentials/rotate", headers=admin
    )
    assert response.status_code == 200, response.text


async def _deliveries(
    client: httpx.AsyncClient, headers: dict[str, str], integration_id: str, hook: str, **query: str
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/v1/integrations/{integration_id}/webhooks/{hook}/deliveries",
        params={"limit": "100", **query},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def _detail(
    client: httpx.AsyncClient, headers: dict[str, str], integration_id: str, hook: str, msg: str
) -> dict[str, Any]:
    response = await client.get(
        f"/v1/integrations/{integration_id}/webhooks/{hook}/deliveries/{msg}", headers=headers
    )
    assert response.status_code == 200, response.text
    detail: dict[str, Any] = response.json()
    return detail


async def test_a_committed_event_arrives_signed_and_verifies_with_both_libraries(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    integration_id, partner, admin = await _partner(client, runtime)
    hook = await create_webhook(client, partner, integration_id, receiver.url())
    await _rotate(client, admin, integration_id)
    await deliver_all(runtime)

    assert len(receiver.received) == 1
    got = receiver.received[0]
    headers = {k.lower(): v for k, v in got.headers.items()}
    standardwebhooks.Webhook(hook["secret"]).verify(got.body, headers)
    svix.webhooks.Webhook(hook["secret"]).verify(got.body, headers)
    body = json.loads(got.body)
    assert body["type"] == "credentials.rotated"
    assert body["data"] == {"integrationId": integration_id}
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook("whsec_" + "A" * 32).verify(got.body, headers)

    [delivery] = await _deliveries(client, partner, integration_id, hook["id"], status="succeeded")
    assert delivery["id"] == headers["webhook-id"]
    detail = await _detail(client, partner, integration_id, hook["id"], delivery["id"])
    [attempt] = detail["attempts"]
    assert attempt["statusCode"] == 200
    assert attempt["responseExcerpt"] == "ok"
    assert attempt["latencyMs"] >= 0 and attempt["error"] is None
    assert detail["payload"] == body


async def test_during_a_secret_rotation_both_signatures_are_sent(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    integration_id, partner, _ = await _partner(client, runtime)
    hook = await create_webhook(client, partner, integration_id, receiver.url())
    rotated = await client.post(
        f"/v1/integrations/{integration_id}/webhooks/{hook['id']}/rotate-secret", headers=partner
    )
    ping = await client.post(
        f"/v1/integrations/{integration_id}/webhooks/{hook['id']}/test", headers=partner
    )
    assert ping.status_code == 202
    await deliver_all(runtime)
    [got] = receiver.received
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (hook["secret"], rotated.json()["secret"]):
        standardwebhooks.Webhook(secret).verify(got.body, headers)
        svix.webhooks.Webhook(secret).verify(got.body, headers)
    assert json.loads(got.body)["type"] == "ping"


async def test_a_receiver_down_for_a_while_gets_every_event_in_order_once_it_is_up(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    integration_id, partner, admin = await _partner(client, runtime)
    hook = await create_webhook(client, partner, integration_id, receiver.url())
    await receiver.stop()
    for _ in range(5):
        await _rotate(client, admin, integration_id)
    await deliver_all(runtime)
    clock.freeze()
    # Down for the first retries too (5 s, then 5 min later).
    for delay in RETRY_DELAYS[:2]:
        clock.advance(delay + timedelta(seconds=1))
        await deliver_all(runtime)
    pending = await _deliveries(client, partner, integration_id, hook["id"], status="pending")
    assert len(pending) == 5
    first = min(pending, key=lambda d: d["createdAt"])
    detail = await _detail(client, partner, integration_id, hook["id"], first["id"])
    assert [a["statusCode"] for a in detail["attempts"]] == [None, None, None]
    assert all(a["error"] for a in detail["attempts"])
    # The others waited behind it: one resource's events never overtake each other.
    assert all(d["attemptCount"] == 0 for d in pending if d["id"] != first["id"])

    await receiver.start()
    clock.advance(RETRY_DELAYS[2] + timedelta(seconds=1))
    await deliver_all(runtime)
    arrived = [r.headers["webhook-id"] for r in receiver.received]
    in_order = [d["id"] for d in sorted(pending, key=lambda d: (d["createdAt"], d["id"]))]
    assert arrived == in_order
    assert await _deliveries(client, partner, integration_id, hook["id"], status="pending") == []


async def test_a_drain_delivers_the_successor_freed_by_an_attempt_that_ends_during_its_claim(
    client: httpx.AsyncClient,
    runtime: Runtime,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The app's own runner loop may have an attempt in flight when a drain begins; when
    it ends between the drain's read of the due rows and the drain's look at the
    attempts in flight, the next event about the same resource is due and still sent."""
    integration_id, partner, admin = await _partner(client, runtime)
    hook = await create_webhook(client, partner, integration_id, receiver.url())
    looked = asyncio.Event()
    claim_due, record_attempts = repository.claim_due, outcomes.record_attempts
    drainer: list[asyncio.Task[Any]] = []

    async def record_after_the_drain_looked(*args: Any, **kwargs: Any) -> None:
        await looked.wait()
        await record_attempts(*args, **kwargs)

    async def claim_then_let_the_attempt_end(*args: Any, **kwargs: Any) -> Any:
        rows = await claim_due(*args, **kwargs)
        if drainer and asyncio.current_task() is drainer[0] and not looked.is_set():
            assert rows == []  # the first event is still pending: the second waits
            looked.set()
            await asyncio.gather(*list(runner._tasks))
        return rows

    monkeypatch.setattr(outcomes, "record_attempts", record_after_the_drain_looked)
    monkeypatch.setattr(repository, "claim_due", claim_then_let_the_attempt_end)
    runner = runner_of(runtime)
    for _ in range(2):
        await _rotate(client, admin, integration_id)
    await runtime.outbox.drain()
    await runner.claim_and_start()  # the first attempt (unless the runner loop took it)
    assert runner._tasks
    drainer.append(asyncio.create_task(runner.drain()))
    await drainer[0]
    assert looked.is_set()
    assert len(receiver.received) == 2
    assert await _deliveries(client, partner, integration_id, hook["id"], status="pending") == []


async def test_a_410_disables_the_endpoint_at_once(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    integration_id, partner, admin = await _partner(client, runtime)
    hook = await create_webhook(client, partner, integration_id, receiver.url())
    receiver.status = 410
    await _rotate(client, admin, integration_id)
    await deliver_all(runtime)
    read = await client.get(
        f"/v1/integrations/{integration_id}/webhooks/{hook['id']}", headers=partner
    )
    assert read.json()["status"] == "disabled"
    assert "410" in read.json()["disabledReason"]
    [failed] = await _deliveries(client, partner, integration_id, hook["id"], status="failed")
    assert failed["attemptCount"] == 1
    await _rotate(client, admin, integration_id)
    await deliver_all(runtime)
    assert len(receiver.received) == 1  # nothing more is sent to a disabled endpoint


async def test_replay_sends_a_delivery_again_with_the_same_message_id(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    integration_id, partner, admin = await _partner(client, runtime)
    hook = await create_webhook(client, partner, integration_id, receiver.url())
    await _rotate(client, admin, integration_id)
    await deliver_all(runtime)
    [delivery] = await _deliveries(client, partner, integration_id, hook["id"])
    replayed = await client.post(
        f"/v1/integrations/{integration_id}/webhooks/{hook['id']}/deliveries/{delivery['id']}/replay",
        headers=partner,
    )
    assert replayed.status_code == 202, replayed.text
    assert replayed.json()["status"] == "pending"
    await deliver_all(runtime)
    assert [r.headers["webhook-id"] for r in receiver.received] == [delivery["id"]] * 2
    detail = await _detail(client, partner, integration_id, hook["id"], delivery["id"])
    assert [a["number"] for a in detail["attempts"]] == [1, 2]
    assert detail["status"] == "succeeded"


async def test_recover_resends_every_delivery_that_failed_after_the_whole_schedule(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    integration_id, partner, admin = await _partner(client, runtime)
    hook = await create_webhook(client, partner, integration_id, receiver.url())
    receiver.status = 500
    receiver.answer = "x" * 5000
    since = utcnow() - timedelta(seconds=1)
    await _rotate(client, admin, integration_id)
    await deliver_all(runtime)
    clock.freeze()
    for delay in RETRY_DELAYS:
        clock.advance(delay + timedelta(seconds=1))
        await deliver_all(runtime)
    clock.unfreeze()  # back to the present, where the tokens are still valid
    [failed] = await _deliveries(client, partner, integration_id, hook["id"], status="failed")
    assert failed["attemptCount"] == 1 + len(RETRY_DELAYS)
    detail = await _detail(client, partner, integration_id, hook["id"], failed["id"])
    assert all(len(a["responseExcerpt"]) == 1024 for a in detail["attempts"])
    assert all(a["statusCode"] == 500 for a in detail["attempts"])

    receiver.status = 200
    recovered = await client.post(
        f"/v1/integrations/{integration_id}/webhooks/{hook['id']}/recover",
        json={"since": since.isoformat()},
        headers=partner,
    )
    assert recovered.status_code == 202, recovered.text
    assert recovered.json() == {"webhookId": hook["id"], "recovered": 1}
    await deliver_all(runtime)
    assert receiver.received[-1].headers["webhook-id"] == failed["id"]
    assert await _deliveries(client, partner, integration_id, hook["id"], status="failed") == []


async def test_a_name_that_rebinds_to_a_private_address_is_refused_at_send_time(
    client: httpx.AsyncClient,
    runtime: Runtime,
    receiver: Receiver,
    resolve_to: dict[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    integration_id, partner, admin = await _partner(client, runtime)
    url = f"http://hooks.partner.test:{receiver.port}/hook"
    resolve_to["hooks.partner.test"] = ["127.0.0.1"]
    hook = await create_webhook(client, partner, integration_id, url)
    # The name is checked again at the attempt, and connected to the vetted address.
    await _rotate(client, admin, integration_id)
    await deliver_all(runtime)
    [got] = receiver.received
    assert got.headers["Host"] == f"hooks.partner.test:{receiver.port}"

    monkeypatch.setattr(runtime.settings, "webhook_allow_private_networks", False)
    resolve_to["hooks.partner.test"] = ["10.0.0.8"]
    await _rotate(client, admin, integration_id)
    await deliver_all(runtime)
    assert len(receiver.received) == 1
    [pending] = await _deliveries(client, partner, integration_id, hook["id"], status="pending")
    detail = await _detail(client, partner, integration_id, hook["id"], pending["id"])
    assert "non-public" in detail["attempts"][0]["error"]


async def test_an_integration_hears_only_events_about_its_organizations_users(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    mine, partner, _ = await _partner(client, runtime)
    theirs, other, _ = await _partner(client, runtime)
    mine_hook = await create_webhook(
        client, partner, mine, receiver.url("/mine"), ["session.started"]
    )
    await create_webhook(client, other, theirs, receiver.url("/theirs"), ["session.started"])
    exchanged = await exchange(client, partner["Authorization"].split()[1], mine)
    user_id = exchanged.json()["user"]["id"]
    async with runtime.sessionmaker() as session:
        for who in (user_id, 999_999):
            await publish(
                session,
                charging.SESSION_STARTED,
                {
                    "sessionId": f"SES{who}",
                    "userId": str(who),
                    "ownerId": None,
                    "chargerId": "CP-1",
                    "session": {"sessionId": f"SES{who}", "chargerId": "CP-1"},
                },
            )
        await session.commit()
    await deliver_all(runtime)
    assert [r.path for r in receiver.received] == ["/mine"]
    body = json.loads(receiver.received[0].body)
    assert body["type"] == "session.started"
    assert body["data"]["userId"] == str(user_id)
    [delivery] = await _deliveries(client, partner, mine, mine_hook["id"])
    assert delivery["eventType"] == "session.started"


async def test_a_hanging_endpoint_does_not_delay_another(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    hanging = await Receiver(hang=True).start()
    try:
        integration_id, partner, admin = await _partner(client, runtime)
        await create_webhook(client, partner, integration_id, hanging.url())
        await create_webhook(client, partner, integration_id, receiver.url())
        await _rotate(client, admin, integration_id)
        await runtime.outbox.drain()
        runner = runner_of(runtime)
        await runner.claim_and_start()
        for _ in range(500):
            if receiver.received:
                break
            await asyncio.sleep(0.01)
        assert len(receiver.received) == 1
        assert len(hanging.received) == 1  # still waiting for its answer
    finally:
        await hanging.stop()
    await runner_of(runtime).drain()
    async with runtime.sessionmaker() as session:
        attempts = (await session.scalars(select(WebhookAttempt))).all()
    assert sorted(a.status_code is None for a in attempts) == [False, True]


async def test_five_days_of_failures_disable_the_endpoint_and_notify_the_organizations_admins(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    admin = await admin_headers(runtime, client)
    created = await create_integration(client, admin)
    integration_id = created["integration"]["id"]
    organization_id = created["integration"]["organizationId"]
    async with runtime.sessionmaker() as session:
        _, org_admin = await organizations.add_account(
            session,
            runtime.credentials,
            organization_id,
            email="owner@partner-five-days.example",
            name="Partner owner",
            role=AccountRole.ORGANIZATION_ADMIN,
        )
        await session.commit()
    hook = await create_webhook(client, admin, integration_id, receiver.url())
    receiver.status = 503
    await _rotate(client, admin, integration_id)
    await deliver_all(runtime)
    clock.freeze()
    for day in range(5):
        clock.advance(timedelta(days=1))
        admin = await admin_headers(runtime, client)  # the earlier token has expired
        await _rotate(client, admin, integration_id)
        await deliver_all(runtime)
        status = "disabled" if day == 4 else "enabled"
        read = await client.get(
            f"/v1/integrations/{integration_id}/webhooks/{hook['id']}", headers=admin
        )
        assert read.json()["status"] == status, day
    assert read.json()["disabledReason"] == "every attempt failed for five days"
    await runtime.outbox.drain()
    async with runtime.sessionmaker() as session:
        notified = (
            await session.scalars(select(Notification).where(Notification.user_id == org_admin.id))
        ).all()
    assert {n.category for n in notified} == {"webhooks"}
    assert {n.channel for n in notified} == {"in_app", "email"}


async def test_a_partner_users_ticket_opened_then_answered_is_created_then_updated(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    admin = await admin_headers(runtime, client)
    created = await create_integration(client, admin)
    integration_id = created["integration"]["id"]
    partner = bearer(await client_token(client, created["credentials"]))
    await create_webhook(
        client, partner, integration_id, receiver.url("/t"), ["ticket.created", "ticket.updated"]
    )
    user = bearer((await partner_user(client, created))["accessToken"])
    opened = await client.post(
        "/api/v1/support/tickets",
        json={"subject": "Charger", "description": "It stopped", "category": "technical"},
        headers=user,
    )
    assert opened.status_code == 201, opened.text
    ticket = opened.json()["data"]["ticket"]
    answered = await client.post(
        f"/api/v1/support/tickets/{ticket['id']}/comments",
        json={"comment": "We are on it"},
        headers=admin,
    )
    assert answered.status_code == 201, answered.text
    await deliver_all(runtime)
    opened_hook, answered_hook = (json.loads(hook.body) for hook in receiver.received)
    assert (opened_hook["type"], answered_hook["type"]) == ("ticket.created", "ticket.updated")
    for body in (opened_hook, answered_hook):
        assert body["data"]["id"] == ticket["id"]
        assert body["data"]["resource"]["ticketNumber"] == ticket["ticketNumber"]
    assert opened_hook["data"]["resource"]["status"] == "open"


async def test_readiness_passes_webhook_verified_once_an_endpoint_answered_its_test(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    integration_id, partner, admin = await _partner(client, runtime)

    async def verified() -> bool:
        response = await client.get(f"/v1/integrations/{integration_id}/readiness", headers=admin)
        assert response.status_code == 200, response.text
        checks = {c["check"]: c["passed"] for c in response.json()["checks"]}
        return bool(checks["webhook_verified"])

    hook = await create_webhook(
        client, partner, integration_id, receiver.url("/r"), ["session.started"]
    )
    assert not await verified()  # configured, not tested
    tested = await client.post(
        f"/v1/integrations/{integration_id}/webhooks/{hook['id']}/test", headers=partner
    )
    assert tested.status_code in (200, 202), tested.text
    await deliver_all(runtime)
    assert len(receiver.received) == 1
    assert await verified()


async def test_a_plan_change_is_a_subscription_updated_webhook(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    await load_plans(runtime)
    integration_id, partner, _ = await _partner(client, runtime)
    await create_webhook(
        client, partner, integration_id, receiver.url("/s"), ["subscription.updated"]
    )
    put = await client.put(
        f"/v1/integrations/{integration_id}/subscription",
        json={"planId": "plan_growth"},
        headers=partner,
    )
    assert put.status_code == 200, put.text
    await deliver_all(runtime)
    [hook] = receiver.received
    body = json.loads(hook.body)
    assert body["type"] == "subscription.updated"
    assert body["data"] == {"integrationId": integration_id, "planId": "plan_growth"}


async def test_a_partner_users_failed_top_up_is_a_payment_failed_webhook(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver, razorpay: object
) -> None:
    from tests.factories.razorpay import RazorpayStandIn

    assert isinstance(razorpay, RazorpayStandIn)
    admin = await admin_headers(runtime, client)
    created = await create_integration(client, admin, bundles=["ALL_ACCESS"])
    integration_id = created["integration"]["id"]
    partner = bearer(await client_token(client, created["credentials"]))
    await create_webhook(client, partner, integration_id, receiver.url("/p"), ["payment.failed"])
    user = bearer((await partner_user(client, created))["accessToken"])
    topup = await client.post(
        "/api/v1/profile/wallet/topup", json={"amount": 250, "paymentMethod": "upi"}, headers=user
    )
    assert topup.status_code == 200, topup.text
    order_id = topup.json()["data"]["checkout"]["orderId"]
    hook, hook_headers = razorpay.webhook("payment.failed", order_id, "pay_declined")
    for _ in range(2):  # a redelivered event announces nothing more
        delivered = await client.post(
            "/payment/razorpay/webhook", content=hook, headers=hook_headers
        )
        assert delivered.status_code == 200, delivered.text
    await deliver_all(runtime)
    [sent] = receiver.received
    body = json.loads(sent.body)
    assert body["type"] == "payment.failed"
    assert body["data"]["amount"] == 25_000 and body["data"]["status"] == "failed"
    assert body["data"]["id"].startswith("PAY")
