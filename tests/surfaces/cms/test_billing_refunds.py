"""EV-CMS /api/v1/billing/refunds: asked by the owner for at most what is left, decided by
an admin (to the wallet, or through Razorpay's Refunds API), each step notified."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from evcare.billing.refund_models import Refund
from evcare.core.runtime import Runtime
from evcare.engagement.notification_models import Notification
from evcare.identity.models import Role, User
from tests.factories.identity import signed_in
from tests.factories.razorpay import RazorpayStandIn, razorpay
from tests.factories.wallet import balance_minor, fund
from tests.surfaces.cms.test_auth import assert_cms_error

__all__ = ["razorpay"]

REFUNDS = "/api/v1/billing/refunds"
WALLET = "/api/v1/profile/wallet"
REFUND_FIELDS = {
    "id",
    "transactionId",
    "userId",
    "amount",
    "currency",
    "reason",
    "status",
    "method",
    "adminNotes",
    "providerRefundId",
    "processedAt",
    "createdAt",
}


def data(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()["data"]
    return result


async def paid_from_wallet(
    client: httpx.AsyncClient, runtime: Runtime, user: User, headers: dict[str, str]
) -> str:
    """A Rs 200 wallet payment of ``user``; its transaction id."""
    await fund(runtime, user, 100_000)
    paid = await client.post(
        f"{WALLET}/pay", json={"amount": 200, "description": "Charging"}, headers=headers
    )
    transaction_id: str = data(paid)["transaction"]["id"]
    return transaction_id


async def topped_up(
    client: httpx.AsyncClient, razorpay: RazorpayStandIn, headers: dict[str, str], amount: int
) -> tuple[str, str]:
    """A top-up of ``amount`` rupees paid through the stand-in's Checkout and verified:
    (its wallet transaction id, the Razorpay payment id)."""
    opened = data(
        await client.post(
            f"{WALLET}/topup", json={"amount": amount, "paymentMethod": "upi"}, headers=headers
        )
    )
    checkout = razorpay.checkout(opened["checkout"]["orderId"])
    credited = await client.post(f"{WALLET}/topup/verify", json=checkout, headers=headers)
    assert credited.status_code == 200, credited.text
    return opened["transaction"]["id"], checkout["razorpay_payment_id"]


async def test_a_refund_of_a_wallet_payment_is_asked_then_approved_to_the_wallet(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    admin_user, admin = await signed_in(runtime, client, Role.ADMIN)
    paid = await paid_from_wallet(client, runtime, user, headers)
    asked = data(
        await client.post(
            REFUNDS,
            json={"transactionId": paid, "amount": 150, "reason": "Charger stopped early"},
            headers=headers,
        ),
        201,
    )["refund"]
    assert set(asked) == REFUND_FIELDS
    assert (asked["transactionId"], asked["amount"], asked["status"]) == (paid, 150, "pending")
    assert asked["method"] == "wallet" and asked["userId"] == str(user.id)
    # Only Rs 50 is left to ask for while this one stands.
    more = await client.post(
        REFUNDS, json={"transactionId": paid, "amount": 50.01, "reason": "x"}, headers=headers
    )
    error = assert_cms_error(more, 400)
    assert error["errors"][0]["field"] == "amount"  # type: ignore[index]
    assert "50" in str(error["message"])
    before = await balance_minor(runtime, user)
    processed = data(
        await client.put(
            f"{REFUNDS}/{asked['id']}/process",
            json={"status": "approved", "adminNotes": "Fault confirmed"},
            headers=admin,
        )
    )["refund"]
    assert processed["status"] == "approved" and processed["adminNotes"] == "Fault confirmed"
    assert processed["processedAt"] is not None
    assert await balance_minor(runtime, user) == before + 15_000
    again = await client.put(
        f"{REFUNDS}/{asked['id']}/process", json={"status": "approved"}, headers=admin
    )
    assert_cms_error(again, 409)
    assert await balance_minor(runtime, user) == before + 15_000
    mine = data(await client.get(f"{REFUNDS}/{asked['id']}", headers=headers))["refund"]
    assert mine == processed
    await runtime.outbox.drain()
    async with runtime.sessionmaker() as session:
        notes = (
            await session.scalars(
                select(Notification.title).where(
                    Notification.user_id == user.id,
                    Notification.category == "billing",
                    Notification.channel == "in_app",
                )
            )
        ).all()
        told = (
            await session.scalars(
                select(Notification.message).where(
                    Notification.user_id == admin_user.id, Notification.channel == "in_app"
                )
            )
        ).all()
    assert sorted(notes) == ["Refund approved", "Refund requested"]
    assert len(told) == 1 and "Charger stopped early" in told[0]


async def test_a_rejected_refund_gives_its_amount_back_to_ask_for(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    paid = await paid_from_wallet(client, runtime, user, headers)
    body = {"transactionId": paid, "amount": 200, "reason": "Wrong charge"}
    asked = data(await client.post(REFUNDS, json=body, headers=headers), 201)["refund"]
    before = await balance_minor(runtime, user)
    rejected = data(
        await client.put(
            f"{REFUNDS}/{asked['id']}/process",
            json={"status": "rejected", "adminNotes": "Session completed normally"},
            headers=admin,
        )
    )["refund"]
    assert rejected["status"] == "rejected"
    assert await balance_minor(runtime, user) == before
    assert (await client.post(REFUNDS, json=body, headers=headers)).status_code == 201
    pending = data(await client.get(f"{REFUNDS}?status=pending", headers=headers))
    assert [r["status"] for r in pending["refunds"]] == ["pending"]
    everyone = data(await client.get(REFUNDS, headers=admin))
    assert len(everyone["refunds"]) == 2


async def test_a_topup_is_refunded_through_razorpay_and_leaves_the_wallet(
    client: httpx.AsyncClient, runtime: Runtime, razorpay: RazorpayStandIn
) -> None:
    user, headers = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    topup, payment_id = await topped_up(client, razorpay, headers, 500)
    asked = data(
        await client.post(
            REFUNDS,
            json={"transactionId": topup, "amount": 120.5, "reason": "Topped up too much"},
            headers=headers,
        ),
        201,
    )["refund"]
    assert asked["method"] == "provider"
    processed = data(
        await client.put(
            f"{REFUNDS}/{asked['id']}/process", json={"status": "approved"}, headers=admin
        )
    )["refund"]
    [(key, refund)] = razorpay.refunds.items()
    assert processed["providerRefundId"] == refund["id"]
    assert (refund["payment_id"], refund["amount"]) == (payment_id, 12_050)
    assert key == f"evcare-refund-{int(asked['id']):010d}"
    assert await balance_minor(runtime, user) == 50_000 - 12_050


async def test_a_topup_already_spent_cannot_be_refunded_and_nothing_moves(
    client: httpx.AsyncClient, runtime: Runtime, razorpay: RazorpayStandIn
) -> None:
    user, headers = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    topup, _ = await topped_up(client, razorpay, headers, 100)
    spent = await client.post(
        f"{WALLET}/pay", json={"amount": 90, "description": "Charging"}, headers=headers
    )
    assert spent.status_code == 200
    body = {"transactionId": topup, "amount": 100, "reason": "Refund"}
    asked = data(await client.post(REFUNDS, json=body, headers=headers), 201)["refund"]
    refused = await client.put(
        f"{REFUNDS}/{asked['id']}/process", json={"status": "approved"}, headers=admin
    )
    assert_cms_error(refused, 400)
    assert razorpay.refunds == {}
    assert await balance_minor(runtime, user) == 1_000
    still = data(await client.get(f"{REFUNDS}/{asked['id']}", headers=admin))["refund"]
    assert still["status"] == "pending"


async def test_someone_elses_transaction_and_refund_are_not_found(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, owner_headers = await signed_in(runtime, client)
    _, stranger = await signed_in(runtime, client)
    paid = await paid_from_wallet(client, runtime, owner, owner_headers)
    body = {"transactionId": paid, "amount": 10, "reason": "Not mine"}
    assert_cms_error(await client.post(REFUNDS, json=body, headers=stranger), 404)
    asked = data(await client.post(REFUNDS, json=body, headers=owner_headers), 201)["refund"]
    assert_cms_error(await client.get(f"{REFUNDS}/{asked['id']}", headers=stranger), 404)
    assert data(await client.get(REFUNDS, headers=stranger))["refunds"] == []
    unknown = {**body, "transactionId": "PAY000999"}
    assert_cms_error(await client.post(REFUNDS, json=unknown, headers=owner_headers), 404)


async def test_only_an_admin_processes_refunds(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user, headers = await signed_in(runtime, client)
    paid = await paid_from_wallet(client, runtime, user, headers)
    body = {"transactionId": paid, "amount": 10, "reason": "Please"}
    asked = data(await client.post(REFUNDS, json=body, headers=headers), 201)["refund"]
    response = await client.put(
        f"{REFUNDS}/{asked['id']}/process", json={"status": "approved"}, headers=headers
    )
    assert "MANAGE:BILLING" in str(assert_cms_error(response, 403)["message"])
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    missing = await client.put(
        f"{REFUNDS}/999999/process", json={"status": "approved"}, headers=admin
    )
    assert_cms_error(missing, 404)


async def test_credits_are_not_refundable(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 1_000)  # a correction credit
    credit = data(await client.get(WALLET, headers=headers))["transactions"][0]["id"]
    body = {"transactionId": credit, "amount": 1, "reason": "Try"}
    error = assert_cms_error(await client.post(REFUNDS, json=body, headers=headers), 400)
    assert error["errors"][0]["field"] == "transactionId"  # type: ignore[index]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 1.001}, "amount"),
        ({"amount": "10"}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"transactionId": "abc"}, "transactionId"),
        ({"transactionId": "PAY0"}, "transactionId"),
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 501}, "reason"),
        ({"extra": 1}, "extra"),
    ],
)
async def test_bad_refund_input_is_422_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, change: dict[str, Any], field: str
) -> None:
    user, headers = await signed_in(runtime, client)
    paid = await paid_from_wallet(client, runtime, user, headers)
    body = {"transactionId": paid, "amount": 10, "reason": "Because", **change}
    error = assert_cms_error(await client.post(REFUNDS, json=body, headers=headers), 422)
    assert field in [e["field"] for e in error["errors"]], error  # type: ignore[attr-defined]
    async with runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Refund)) == 0


async def test_a_refund_above_what_was_paid_is_400_and_writes_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    paid = await paid_from_wallet(client, runtime, user, headers)
    body = {"transactionId": paid, "amount": 200.01, "reason": "More"}
    error = assert_cms_error(await client.post(REFUNDS, json=body, headers=headers), 400)
    assert error["errors"][0]["field"] == "amount"  # type: ignore[index]
    async with runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Refund)) == 0


async def test_process_input_is_validated(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    for body, field in [
        ({"status": "maybe"}, "status"),
        ({"status": "approved", "adminNotes": "x" * 1001}, "adminNotes"),
        ({}, "status"),
    ]:
        response = await client.put(f"{REFUNDS}/1/process", json=body, headers=admin)
        error = assert_cms_error(response, 422)
        assert field in [e["field"] for e in error["errors"]]  # type: ignore[attr-defined]


async def test_a_refund_request_replays_its_idempotency_key(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    paid = await paid_from_wallet(client, runtime, user, headers)
    keyed = {**headers, "Idempotency-Key": "refund-once-1"}
    body = {"transactionId": paid, "amount": 10, "reason": "Once"}
    first = await client.post(REFUNDS, json=body, headers=keyed)
    again = await client.post(REFUNDS, json=body, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.json() == again.json()
    other = await client.post(REFUNDS, json={**body, "amount": 11}, headers=keyed)
    assert_cms_error(other, 422)
    async with runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Refund)) == 1
