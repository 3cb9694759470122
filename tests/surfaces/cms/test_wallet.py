"""EV-CMS /api/v1/profile/wallet: balance, top-up through Razorpay, pay, transactions."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from evcare.charging.sessions.models import ChargingSession
from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.factories.ocpp import make_charger, make_session
from tests.factories.razorpay import RazorpayStandIn
from tests.factories.wallet import balance_minor, fund
from tests.surfaces.cms.test_auth import assert_cms_error

WALLET = "/api/v1/profile/wallet"
TRANSACTION_FIELDS = {
    "id",
    "type",
    "amount",
    "description",
    "balanceAfter",
    "status",
    "sessionId",
    "createdAt",
}


def data(response: httpx.Response, status: int = 200) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True
    result: dict[str, object] = body["data"]
    return result


async def test_a_new_wallet_is_empty_in_the_documented_shape(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    body = data(await client.get(WALLET, headers=headers))
    assert body == {"balance": 0, "currency": "INR", "transactions": []}


async def test_wallet_routes_need_a_token(client: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", WALLET),
        ("POST", f"{WALLET}/topup"),
        ("POST", f"{WALLET}/pay"),
        ("GET", f"{WALLET}/transactions"),
        ("POST", f"{WALLET}/topup/verify"),
    ]:
        assert_cms_error(await client.request(method, path, json={}), 401)


async def test_a_topup_is_pending_until_verified_and_then_credited_once(
    client: httpx.AsyncClient, runtime: Runtime, razorpay: RazorpayStandIn
) -> None:
    user, headers = await signed_in(runtime, client)
    opened = data(
        await client.post(
            f"{WALLET}/topup", json={"amount": 500.5, "paymentMethod": "upi"}, headers=headers
        )
    )
    transaction = opened["transaction"]
    assert isinstance(transaction, dict)
    assert set(transaction) == TRANSACTION_FIELDS
    assert transaction["type"] == "credit" and transaction["status"] == "pending"
    assert transaction["amount"] == 500.5 and transaction["balanceAfter"] is None
    assert opened["wallet"] == {"balance": 0, "currency": "INR"}
    checkout = opened["checkout"]
    assert isinstance(checkout, dict)
    assert checkout["key"] == razorpay.key_id
    assert (checkout["amount"], checkout["currency"]) == (50_050, "INR")
    assert razorpay.requests[-1]["amount"] == 50_050
    assert await balance_minor(runtime, user) == 0

    paid = razorpay.checkout(str(checkout["orderId"]))
    forged = {**paid, "razorpay_signature": "0" * 64}
    refused = await client.post(f"{WALLET}/topup/verify", json=forged, headers=headers)
    assert assert_cms_error(refused, 400)["message"] == "Payment signature verification failed"
    assert await balance_minor(runtime, user) == 0

    verified = data(await client.post(f"{WALLET}/topup/verify", json=paid, headers=headers))
    assert verified["wallet"] == {"balance": 500.5, "currency": "INR"}
    credited = verified["transaction"]
    assert isinstance(credited, dict)
    assert credited["id"] == transaction["id"]
    assert (credited["status"], credited["balanceAfter"]) == ("completed", 500.5)

    again = data(await client.post(f"{WALLET}/topup/verify", json=paid, headers=headers))
    assert again["wallet"] == {"balance": 500.5, "currency": "INR"}
    body, hook_headers = razorpay.webhook(
        "payment.captured", str(checkout["orderId"]), paid["razorpay_payment_id"]
    )
    hook = await client.post("/payment/razorpay/webhook", content=body, headers=hook_headers)
    assert hook.status_code == 200, hook.text
    assert await balance_minor(runtime, user) == 50_050


async def test_a_replayed_webhook_credits_a_topup_once(
    client: httpx.AsyncClient, runtime: Runtime, razorpay: RazorpayStandIn
) -> None:
    user, headers = await signed_in(runtime, client)
    opened = data(
        await client.post(
            f"{WALLET}/topup", json={"amount": 200, "paymentMethod": "card"}, headers=headers
        )
    )
    checkout = opened["checkout"]
    assert isinstance(checkout, dict)
    order_id = str(checkout["orderId"])
    body, hook_headers = razorpay.webhook("payment.captured", order_id, "pay_hook1")
    for _ in range(3):
        response = await client.post(
            "/payment/razorpay/webhook", content=body, headers=hook_headers
        )
        assert response.status_code == 200, response.text
    # The same payment announced again under another event id (order.paid follows).
    other, other_headers = razorpay.webhook("order.paid", order_id, "pay_hook1")
    assert (
        await client.post("/payment/razorpay/webhook", content=other, headers=other_headers)
    ).status_code == 200
    assert await balance_minor(runtime, user) == 20_000
    listed = data(await client.get(f"{WALLET}/transactions", headers=headers))
    transactions = listed["transactions"]
    assert isinstance(transactions, list) and len(transactions) == 1
    assert (transactions[0]["status"], transactions[0]["balanceAfter"]) == ("completed", 200)


async def test_someone_elses_topup_order_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime, razorpay: RazorpayStandIn
) -> None:
    owner, owner_headers = await signed_in(runtime, client)
    opened = data(
        await client.post(
            f"{WALLET}/topup", json={"amount": 100, "paymentMethod": "upi"}, headers=owner_headers
        )
    )
    checkout = opened["checkout"]
    assert isinstance(checkout, dict)
    paid = razorpay.checkout(str(checkout["orderId"]))
    _, other_headers = await signed_in(runtime, client)
    refused = await client.post(f"{WALLET}/topup/verify", json=paid, headers=other_headers)
    assert_cms_error(refused, 404)
    assert await balance_minor(runtime, owner) == 0


async def test_the_sandbox_checkout_completes_a_topup_without_keys(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    opened = data(
        await client.post(
            f"{WALLET}/topup", json={"amount": 150, "paymentMethod": "razorpay"}, headers=headers
        )
    )
    checkout = opened["checkout"]
    assert isinstance(checkout, dict) and checkout["key"] == "rzp_sandbox"
    paid = data(
        await client.post(f"{WALLET}/topup/sandbox-checkout/{checkout['orderId']}", headers=headers)
    )
    verified = data(await client.post(f"{WALLET}/topup/verify", json=paid, headers=headers))
    assert verified["wallet"] == {"balance": 150, "currency": "INR"}
    assert await balance_minor(runtime, user) == 15_000


async def test_a_topup_over_the_maximum_balance_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 995_000)  # the default maximum is 10,000 rupees
    refused = await client.post(
        f"{WALLET}/topup", json={"amount": 50.01, "paymentMethod": "upi"}, headers=headers
    )
    body = assert_cms_error(refused, 400)
    assert body["errors"][0]["field"] == "amount"  # type: ignore[index]
    accepted = await client.post(
        f"{WALLET}/topup", json={"amount": 50, "paymentMethod": "upi"}, headers=headers
    )
    assert accepted.status_code == 200, accepted.text
    # The pending one counts: another top-up would go over once both are paid.
    again = await client.post(
        f"{WALLET}/topup", json={"amount": 1, "paymentMethod": "upi"}, headers=headers
    )
    assert_cms_error(again, 400)


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        (0, None, "amount"),
        (-5, None, "amount"),
        (10.001, None, "amount"),
        (1e12, None, "amount"),
        ("10", None, "amount"),
        (True, None, "amount"),
        (None, None, "amount"),
        (10, "XYZ", "currency"),
    ],
)
async def test_bad_amounts_are_refused_naming_the_field(
    client: httpx.AsyncClient,
    runtime: Runtime,
    amount: object,
    currency: str | None,
    field: str,
) -> None:
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 10_000)
    extra = {} if currency is None else {"currency": currency}
    for path, body in [
        ("topup", {"amount": amount, "paymentMethod": "upi", **extra}),
        ("pay", {"amount": amount, "description": "Coffee", **extra}),
    ]:
        response = await client.post(f"{WALLET}/{path}", json=body, headers=headers)
        error = assert_cms_error(response, 422)
        assert [e["field"] for e in error["errors"]] == [field]  # type: ignore[attr-defined]
    assert await balance_minor(runtime, user) == 10_000


async def test_paying_debits_with_a_balance_after_and_refuses_what_the_wallet_cannot_cover(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 30_000)
    paid = data(
        await client.post(
            f"{WALLET}/pay", json={"amount": 120.25, "description": "Parking"}, headers=headers
        )
    )
    assert paid["wallet"] == {"balance": 179.75, "currency": "INR"}
    transaction = paid["transaction"]
    assert isinstance(transaction, dict) and set(transaction) == TRANSACTION_FIELDS
    assert transaction["type"] == "debit" and transaction["amount"] == 120.25
    assert transaction["balanceAfter"] == 179.75 and transaction["status"] == "completed"
    assert transaction["description"] == "Parking" and transaction["sessionId"] is None

    refused = await client.post(
        f"{WALLET}/pay", json={"amount": 179.76, "description": "Too much"}, headers=headers
    )
    body = assert_cms_error(refused, 400)
    assert "Insufficient wallet balance" in str(body["message"])
    assert await balance_minor(runtime, user) == 17_975


async def test_paying_a_session_marks_it_paid_once_for_its_exact_cost(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 100_000)
    charger = await make_charger(runtime)
    charged = await make_session(
        runtime, charger, user=user, started_at=utcnow() - timedelta(hours=1)
    )
    assert charged.cost_minor == 20_000  # 10 kWh at 20 rupees
    wrong = await client.post(
        f"{WALLET}/pay",
        json={"amount": 199, "description": "Charging", "sessionId": str(charged.id)},
        headers=headers,
    )
    assert assert_cms_error(wrong, 400)["errors"][0]["field"] == "amount"  # type: ignore[index]
    paid = data(
        await client.post(
            f"{WALLET}/pay",
            json={"amount": 200, "description": "Charging", "sessionId": str(charged.id)},
            headers=headers,
        )
    )
    transaction = paid["transaction"]
    assert isinstance(transaction, dict) and transaction["sessionId"] == str(charged.id)
    async with runtime.sessionmaker() as session:
        status = await session.scalar(
            select(ChargingSession.payment_status).where(ChargingSession.id == charged.id)
        )
    assert status == "paid"
    twice = await client.post(
        f"{WALLET}/pay",
        json={"amount": 200, "description": "Charging", "sessionId": charged.id},
        headers=headers,
    )
    assert_cms_error(twice, 409)
    assert await balance_minor(runtime, user) == 80_000


async def test_someone_elses_or_a_running_session_cannot_be_paid(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, _ = await signed_in(runtime, client)
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 100_000)
    charger = await make_charger(runtime)
    theirs = await make_session(runtime, charger, user=owner, started_at=utcnow())
    running = await make_session(runtime, charger, user=user, started_at=utcnow(), minutes=None)
    for session_id, status in [(theirs.id, 404), (running.id, 409), (2_000_000_000, 404)]:
        response = await client.post(
            f"{WALLET}/pay",
            json={"amount": 200, "description": "Charging", "sessionId": str(session_id)},
            headers=headers,
        )
        assert_cms_error(response, status)
    for bad in ["²", "٣", "0", "2147483648", "1.5", "", True, 1.5]:
        response = await client.post(
            f"{WALLET}/pay",
            json={"amount": 200, "description": "Charging", "sessionId": bad},
            headers=headers,
        )
        error = assert_cms_error(response, 422)
        assert error["errors"][0]["field"] == "sessionId"  # type: ignore[index]
    assert await balance_minor(runtime, user) == 100_000


async def test_transactions_are_paged_newest_first_and_filtered_by_type(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 10_000)
    for n in range(3):
        await client.post(
            f"{WALLET}/pay", json={"amount": n + 1, "description": f"Item {n}"}, headers=headers
        )
    response = await client.get(f"{WALLET}/transactions?page=1&limit=2", headers=headers)
    body = response.json()
    assert response.status_code == 200 and body["success"] is True
    assert [t["description"] for t in body["data"]["transactions"]] == ["Item 2", "Item 1"]
    assert body["pagination"] == {
        "total": 4,
        "page": 1,
        "limit": 2,
        "totalPages": 2,
        "hasNext": True,
        "hasPrev": False,
    }
    credits = data(await client.get(f"{WALLET}/transactions?type=credit", headers=headers))
    assert [t["type"] for t in credits["transactions"]] == ["credit"]  # type: ignore[union-attr]
    bad = await client.get(f"{WALLET}/transactions?type=refund", headers=headers)
    assert_cms_error(bad, 422)
    recent = data(await client.get(f"{WALLET}?limit=1", headers=headers))
    assert recent["balance"] == 94
    assert [t["balanceAfter"] for t in recent["transactions"]] == [94]  # type: ignore[union-attr]
    # Another user sees none of it.
    _, other = await signed_in(runtime, client)
    assert data(await client.get(f"{WALLET}/transactions", headers=other))["transactions"] == []


async def test_a_brand_user_has_a_wallet_too_but_an_admin_token_without_scope_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, brand = await signed_in(runtime, client, Role.BRAND)
    assert (await client.get(WALLET, headers=brand)).status_code == 200


async def test_an_abandoned_topup_stops_counting_against_the_maximum_after_an_hour(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    from sqlalchemy import update

    from evcare.billing.wallet_models import WalletEntry

    _, headers = await signed_in(runtime, client)
    body = {"amount": 10_000, "paymentMethod": "upi"}
    first = await client.post(f"{WALLET}/topup", json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert_cms_error(await client.post(f"{WALLET}/topup", json=body, headers=headers), 400)
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(WalletEntry).values(created_at=utcnow() - timedelta(minutes=61))
        )
        await session.commit()
    again = await client.post(f"{WALLET}/topup", json=body, headers=headers)
    assert again.status_code == 200, again.text
