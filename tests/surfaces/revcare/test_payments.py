"""RevCare /payment/: Razorpay orders, checkout signatures and webhooks against a local
stand-in for Razorpay's servers; the sandbox gateway; refusals."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.bookings import Workshop, book, completed_booking, make_workshop, ok, person
from tests.factories.razorpay import RazorpayStandIn
from tests.surfaces.revcare.helpers import assert_revcare_error


async def _order(client: httpx.AsyncClient, shop: Workshop, booking_id: int) -> dict[str, object]:
    response = await client.post(
        f"/payment/razorpay/order/{booking_id}", headers=shop.customer.headers
    )
    result: dict[str, object] = ok(response)
    return result


async def _completed_with_order(
    client: httpx.AsyncClient, runtime: Runtime
) -> tuple[Workshop, dict[str, Any], dict[str, Any]]:
    """A completed booking with an open Razorpay order: (shop, booking, checkout)."""
    shop = await make_workshop(runtime, client)
    booking = await completed_booking(client, shop)
    checkout = (await _order(client, shop, booking["id"]))["checkout"]
    assert isinstance(checkout, dict)
    return shop, booking, checkout


def _paid_steps(detail: dict[str, object]) -> int:
    timeline = detail["timeline"]
    assert isinstance(timeline, list)
    return sum(1 for e in timeline if e["status"] == "paid" and e["from_status"] != "paid")


async def test_an_online_payment_with_a_correct_signature_pays_and_a_forged_one_does_not(
    client: httpx.AsyncClient, runtime: Runtime, razorpay: RazorpayStandIn
) -> None:
    shop = await make_workshop(runtime, client)
    booking = await completed_booking(client, shop)
    booking_id = booking["id"]
    assert booking["total"] == 3540  # 1000 + 2000, GST 18 % per line

    order = await _order(client, shop, booking_id)
    checkout = order["checkout"]
    assert isinstance(checkout, dict)
    assert checkout["key"] == razorpay.key_id
    assert (checkout["amount"], checkout["currency"]) == (354_000, "INR")
    assert razorpay.requests[-1]["amount"] == 354_000
    assert razorpay.requests[-1]["receipt"] == f"booking-{booking_id}"
    assert checkout["order_id"] in razorpay.orders
    again = await _order(client, shop, booking_id)
    assert again["checkout"] == checkout and len(razorpay.requests) == 1

    paid = razorpay.checkout(str(checkout["order_id"]))
    forged = {**paid, "razorpay_signature": "0" * 64}
    refused = await client.post("/payment/verify", json=forged, headers=shop.customer.headers)
    assert assert_revcare_error(refused, 400)["detail"] == "Payment signature verification failed"
    still = ok(await client.get(f"/bookings/{booking_id}", headers=shop.customer.headers))
    assert (still["status"], still["payment_status"]) == ("completed", "created")

    verified = ok(await client.post("/payment/verify", json=paid, headers=shop.customer.headers))
    assert verified["payment"]["status"] == "captured"
    assert verified["payment"]["provider"] == "razorpay"
    assert verified["payment"]["provider_payment_id"] == paid["razorpay_payment_id"]
    assert verified["payment"]["amount"] == 3540
    assert verified["booking"]["status"] == "paid"

    replay = ok(await client.post("/payment/verify", json=paid, headers=shop.customer.headers))
    assert replay["payment"]["id"] == verified["payment"]["id"]
    detail = ok(await client.get(f"/bookings/{booking_id}", headers=shop.customer.headers))
    assert _paid_steps(detail) == 1
    late_order = await client.post(
        f"/payment/razorpay/order/{booking_id}", headers=shop.customer.headers
    )
    assert "paid" in assert_revcare_error(late_order, 409)["detail"]


async def test_a_signature_made_for_another_order_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, razorpay: RazorpayStandIn
) -> None:
    shop = await make_workshop(runtime, client)
    first = await completed_booking(client, shop)
    second = await completed_booking(client, shop)
    order_a = (await _order(client, shop, first["id"]))["checkout"]
    order_b = (await _order(client, shop, second["id"]))["checkout"]
    assert isinstance(order_a, dict) and isinstance(order_b, dict)
    paid_a = razorpay.checkout(str(order_a["order_id"]))
    swapped = {**paid_a, "razorpay_order_id": order_b["order_id"]}
    refused = await client.post("/payment/verify", json=swapped, headers=shop.customer.headers)
    assert_revcare_error(refused, 400)
    unknown = {**paid_a, "razorpay_order_id": "order_notours123"}
    assert_revcare_error(
        await client.post("/payment/verify", json=unknown, headers=shop.customer.headers), 404
    )


async def test_a_valid_payment_named_for_another_booking_is_refused_and_pays_nothing(
    client: httpx.AsyncClient, runtime: Runtime, razorpay: RazorpayStandIn
) -> None:
    shop = await make_workshop(runtime, client)
    first = await completed_booking(client, shop)
    second = await completed_booking(client, shop)
    order = (await _order(client, shop, first["id"]))["checkout"]
    assert isinstance(order, dict)
    paid = razorpay.checkout(str(order["order_id"]))
    misnamed = {**paid, "booking_id": second["id"]}
    refused = await client.post("/payment/verify", json=misnamed, headers=shop.customer.headers)
    assert "is not for booking" in assert_revcare_error(refused, 404)["detail"]
    for booking in (first, second):
        detail = ok(await client.get(f"/bookings/{booking['id']}", headers=shop.customer.headers))
        assert detail["status"] == "completed"
    named = {**paid, "booking_id": first["id"]}
    verified = ok(await client.post("/payment/verify", json=named, headers=shop.customer.headers))
    assert verified["booking"]["status"] == "paid"


async def test_the_webhook_pays_once_and_refuses_forgeries_and_ignores_replays(
    client: httpx.AsyncClient, runtime: Runtime, razorpay: RazorpayStandIn
) -> None:
    shop, booking, checkout = await _completed_with_order(client, runtime)
    order_id = str(checkout["order_id"])
    body, headers = razorpay.webhook("payment.captured", order_id, "pay_webhook0001")

    forged = {**headers, "X-Razorpay-Signature": "f" * 64}
    assert_revcare_error(
        await client.post("/payment/razorpay/webhook", content=body, headers=forged), 401
    )
    tampered = body.replace(b'"upi"', b'"card"')
    assert_revcare_error(
        await client.post("/payment/razorpay/webhook", content=tampered, headers=headers), 401
    )

    accepted = await client.post("/payment/razorpay/webhook", content=body, headers=headers)
    assert ok(accepted) == {"status": "ok", "event": "payment.captured"}
    paid = ok(await client.get(f"/bookings/{booking['id']}", headers=shop.customer.headers))
    assert (paid["status"], paid["payment_status"]) == ("paid", "captured")

    replay = await client.post("/payment/razorpay/webhook", content=body, headers=headers)
    assert ok(replay)["status"] == "duplicate"
    body2, headers2 = razorpay.webhook("order.paid", order_id, "pay_webhook0001")
    assert (
        ok(await client.post("/payment/razorpay/webhook", content=body2, headers=headers2))[
            "status"
        ]
        == "ok"
    )
    detail = ok(await client.get(f"/bookings/{booking['id']}", headers=shop.customer.headers))
    assert _paid_steps(detail) == 1


async def test_a_signed_webhook_for_a_different_amount_is_refused_and_pays_nothing(
    client: httpx.AsyncClient, runtime: Runtime, razorpay: RazorpayStandIn
) -> None:
    shop, booking, checkout = await _completed_with_order(client, runtime)
    order_id, amount = str(checkout["order_id"]), int(checkout["amount"])
    for wrong in (amount - 1, 100, amount + 100):
        body, headers = razorpay.webhook("payment.captured", order_id, "pay_short01", amount=wrong)
        refused = await client.post("/payment/razorpay/webhook", content=body, headers=headers)
        assert "amount" in assert_revcare_error(refused, 400)["detail"]
    detail = ok(await client.get(f"/bookings/{booking['id']}", headers=shop.customer.headers))
    assert (detail["status"], detail["payment_status"]) != ("paid", "captured")
    assert detail["status"] == "completed" and _paid_steps(detail) == 0
    # The right amount still pays: the refused deliveries left nothing half-recorded.
    body, headers = razorpay.webhook("payment.captured", order_id, "pay_full0001")
    ok(await client.post("/payment/razorpay/webhook", content=body, headers=headers))
    paid = ok(await client.get(f"/bookings/{booking['id']}", headers=shop.customer.headers))
    assert (paid["status"], paid["payment_status"]) == ("paid", "captured")


async def test_checkout_verification_and_webhook_racing_for_one_payment_pay_once(
    client: httpx.AsyncClient, runtime: Runtime, razorpay: RazorpayStandIn
) -> None:
    shop = await make_workshop(runtime, client)
    booking = await completed_booking(client, shop)
    checkout = (await _order(client, shop, booking["id"]))["checkout"]
    assert isinstance(checkout, dict)
    paid = razorpay.checkout(str(checkout["order_id"]))
    deliveries = [
        razorpay.webhook("payment.captured", paid["razorpay_order_id"], paid["razorpay_payment_id"])
        for _ in range(3)
    ]
    responses = await asyncio.gather(
        client.post("/payment/verify", json=paid, headers=shop.customer.headers),
        *[
            client.post("/payment/razorpay/webhook", content=body, headers=headers)
            for body, headers in deliveries
        ],
        client.post("/payment/verify", json=paid, headers=shop.customer.headers),
    )
    assert [r.status_code for r in responses] == [200] * 5, [r.text for r in responses]
    detail = ok(await client.get(f"/bookings/{booking['id']}", headers=shop.customer.headers))
    assert detail["status"] == "paid" and _paid_steps(detail) == 1


async def test_wrong_razorpay_keys_make_the_order_fail_cleanly(
    client: httpx.AsyncClient,
    runtime: Runtime,
    razorpay: RazorpayStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop = await make_workshop(runtime, client)
    booking = await completed_booking(client, shop)
    wrong = runtime.settings.model_copy(update={"razorpay_key_secret": SecretStr("wrong")})
    monkeypatch.setattr(runtime, "settings", wrong)
    response = await client.post(
        f"/payment/razorpay/order/{booking['id']}", headers=shop.customer.headers
    )
    body = assert_revcare_error(response, 503)
    assert "Authentication failed" in body["detail"] and "wrong" not in response.text


async def test_without_keys_the_sandbox_gateway_takes_the_whole_online_flow(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    assert runtime.settings.razorpay_key_id is None
    shop = await make_workshop(runtime, client)
    booking = await completed_booking(client, shop)
    checkout = (await _order(client, shop, booking["id"]))["checkout"]
    assert isinstance(checkout, dict) and checkout["key"] == "rzp_sandbox"
    stranger = await person(runtime, client, Role.USER)
    path = f"/payment/razorpay/sandbox/checkout/{checkout['order_id']}"
    assert_revcare_error(await client.post(path, headers=stranger.headers), 404)
    paid = ok(await client.post(path, headers=shop.customer.headers))
    assert_revcare_error(
        await client.post("/payment/verify", json=paid, headers=stranger.headers), 404
    )
    verified = ok(await client.post("/payment/verify", json=paid, headers=shop.customer.headers))
    assert verified["payment"]["provider"] == "sandbox"
    assert verified["booking"]["status"] == "paid"


async def test_the_same_payment_verified_in_parallel_pays_the_booking_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    booking = await completed_booking(client, shop)
    checkout = (await _order(client, shop, booking["id"]))["checkout"]
    assert isinstance(checkout, dict)
    paid = ok(
        await client.post(
            f"/payment/razorpay/sandbox/checkout/{checkout['order_id']}",
            headers=shop.customer.headers,
        )
    )
    responses = await asyncio.gather(
        *[
            client.post("/payment/verify", json=paid, headers=shop.customer.headers)
            for _ in range(5)
        ]
    )
    assert [r.status_code for r in responses] == [200] * 5, [r.text for r in responses]
    assert len({r.json()["payment"]["id"] for r in responses}) == 1
    detail = ok(await client.get(f"/bookings/{booking['id']}", headers=shop.customer.headers))
    assert detail["status"] == "paid" and _paid_steps(detail) == 1


async def test_production_without_razorpay_keys_refuses_online_payment_instead_of_faking_it(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = await make_workshop(runtime, client)
    booking = await completed_booking(client, shop)
    production = runtime.settings.model_copy(update={"environment": "production"})
    monkeypatch.setattr(runtime, "settings", production)
    order = await client.post(
        f"/payment/razorpay/order/{booking['id']}", headers=shop.customer.headers
    )
    assert "not configured" in assert_revcare_error(order, 503)["detail"]
    checkout = await client.post(
        "/payment/razorpay/sandbox/checkout/order_abc", headers=shop.customer.headers
    )
    assert_revcare_error(checkout, 503)


async def test_the_sandbox_checkout_does_not_exist_when_razorpay_is_configured(
    client: httpx.AsyncClient, runtime: Runtime, razorpay: RazorpayStandIn
) -> None:
    shop = await make_workshop(runtime, client)
    booking = await completed_booking(client, shop)
    checkout = (await _order(client, shop, booking["id"]))["checkout"]
    assert isinstance(checkout, dict)
    path = f"/payment/razorpay/sandbox/checkout/{checkout['order_id']}"
    assert_revcare_error(await client.post(path, headers=shop.customer.headers), 404)


async def test_payment_is_due_only_once_the_work_is_completed(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    booking = await book(client, shop)
    early = await client.post(
        f"/payment/razorpay/order/{booking['id']}", headers=shop.customer.headers
    )
    assert "created" in assert_revcare_error(early, 409)["detail"]
    cod_early = await client.post(
        f"/payment/cash-on-delivery/{booking['id']}", headers=shop.customer.headers
    )
    assert "created" in assert_revcare_error(cod_early, 409)["detail"]


async def test_payment_routes_refuse_anonymous_wrong_role_strangers_and_bad_input(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    shop = await make_workshop(runtime, client)
    booking = await completed_booking(client, shop, payment_mode="cod")
    booking_id = booking["id"]
    verify = {
        "razorpay_order_id": "order_x",
        "razorpay_payment_id": "pay_x",
        "razorpay_signature": "00",
    }
    calls = [
        ("POST", f"/payment/cash-on-delivery/{booking_id}", None),
        ("POST", "/payment/verify-cod", {"booking_id": booking_id}),
        ("POST", f"/payment/razorpay/order/{booking_id}", None),
        ("POST", "/payment/verify", verify),
        ("POST", "/payment/razorpay/sandbox/checkout/order_x", None),
    ]
    for method, path, body in calls:
        assert_revcare_error(await client.request(method, path, json=body), 401)

    # Customers cannot confirm cash collection.
    refused = await client.post(
        "/payment/verify-cod", json={"booking_id": booking_id}, headers=shop.customer.headers
    )
    assert assert_revcare_error(refused, 403)["detail"] == "MANAGE:PAYMENTS scope required"

    # Someone else's booking is not found, for a customer and an unassigned mechanic.
    stranger = await person(runtime, client, Role.USER)
    other_mechanic = await person(runtime, client, Role.MECHANIC)
    for path in (
        f"/payment/cash-on-delivery/{booking_id}",
        f"/payment/razorpay/order/{booking_id}",
    ):
        assert_revcare_error(await client.post(path, headers=stranger.headers), 404)
    not_theirs = await client.post(
        "/payment/verify-cod", json={"booking_id": booking_id}, headers=other_mechanic.headers
    )
    assert_revcare_error(not_theirs, 404)
    no_reservation = await client.post(
        "/payment/verify-cod", json={"booking_id": booking_id}, headers=shop.mechanic.headers
    )
    assert "Cash on delivery" in assert_revcare_error(no_reservation, 409)["detail"]

    # Bad input: 422 in RevCare's shape, naming the field.
    bad = await client.post(
        "/payment/verify", json={"razorpay_order_id": "order/../x"}, headers=shop.customer.headers
    )
    assert "razorpay_order_id" in str(assert_revcare_error(bad, 422)["detail"])
    bad_cod = await client.post(
        "/payment/verify-cod", json={"booking_id": "abc"}, headers=shop.admin.headers
    )
    assert_revcare_error(bad_cod, 422)
    assert_revcare_error(
        await client.post("/payment/cash-on-delivery/0", headers=shop.customer.headers), 404
    )
    unsigned = await client.post("/payment/razorpay/webhook", content=b"{}")
    assert_revcare_error(unsigned, 401)
