"""A local stand-in for Razorpay's servers, following its documented API and signatures.

* ``POST /v1/orders`` with HTTP Basic ``key_id:key_secret`` and JSON ``{amount, currency,
  receipt, notes}`` answers the order entity (``id: order_...``, ``status: created``); a
  wrong key is a 401 ``{"error": {"code": "BAD_REQUEST_ERROR", ...}}``, an amount under
  100 paise a 400.
* Checkout (the browser side) returns ``razorpay_payment_id`` and
  ``razorpay_signature = hex(HMAC_SHA256(key_secret, order_id + "|" + payment_id))``.
* ``POST /v1/payments/{id}/refund`` (Refunds API) with ``{amount, speed, receipt, notes}``
  answers the refund entity (``id: rfnd_...``, ``status: processed``); more than is left
  of the captured payment is a 400; a repeated ``X-Refund-Idempotency`` key answers the
  first refund and refunds nothing more.
* Webhooks are signed ``X-Razorpay-Signature = hex(HMAC_SHA256(webhook_secret, body))``
  and carry ``x-razorpay-event-id``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from evcare.core.runtime import Runtime
from tests.factories.server import serve


def _sign(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class RazorpayStandIn:
    key_id: str = "rzp_test_standin"
    key_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    webhook_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    # payment id -> {order_id, amount, amount_refunded}: payments made through checkout().
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)  # idempotency key ->

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/orders", self._create_order, methods=["POST"]),
                Route("/v1/payments/{payment_id}/refund", self._refund, methods=["POST"]),
            ]
        )

    async def _refund(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return _error(401, "Authentication failed")
        payment = self.payments.get(request.path_params["payment_id"])
        if payment is None:
            return _error(400, "The id provided does not exist")
        key = request.headers.get("x-refund-idempotency")
        if key is not None and key in self.refunds:
            return JSONResponse(self.refunds[key])
        body = await request.json()
        amount = body.get("amount", payment["amount"] - payment["amount_refunded"])
        if not isinstance(amount, int) or amount < 100:
            return _error(400, "The amount must be atleast INR 1.00")
        if amount > payment["amount"] - payment["amount_refunded"]:
            return _error(400, "The refund amount provided is greater than amount captured")
        payment["amount_refunded"] += amount
        refund = {
            "id": f"rfnd_{secrets.token_hex(7)}",
            "entity": "refund",
            "amount": amount,
            "currency": "INR",
            "payment_id": request.path_params["payment_id"],
            "notes": body.get("notes", {}),
            "receipt": body.get("receipt"),
            "status": "processed",
            "speed_requested": body.get("speed", "normal"),
            "created_at": int(time.time()),
        }
        if key is not None:
            self.refunds[key] = refund
        return JSONResponse(refund)

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        expected = base64.b64encode(f"{self.key_id}:{self.key_secret}".encode()).decode()
        return hmac.compare_digest(header.removeprefix("Basic "), expected)

    async def _create_order(self, request: Request) -> JSONResponse:
        if not self._authorised(request):
            return _error(401, "Authentication failed")
        body = await request.json()
        self.requests.append(body)
        amount, currency = body.get("amount"), body.get("currency", "INR")
        if not isinstance(amount, int) or amount < 100:
            return _error(400, "The amount must be atleast INR 1.00")
        order = {
            "id": f"order_{secrets.token_hex(7)}",
            "entity": "order",
            "amount": amount,
            "amount_paid": 0,
            "amount_due": amount,
            "currency": currency,
            "receipt": body.get("receipt"),
            "offer_id": None,
            "status": "created",
            "attempts": 0,
            "notes": body.get("notes", {}),
            "created_at": int(time.time()),
        }
        self.orders[order["id"]] = order
        return JSONResponse(order)

    def checkout(self, order_id: str) -> dict[str, str]:
        """What Checkout hands the browser after the customer pays."""
        payment_id = f"pay_{secrets.token_hex(7)}"
        amount = self.orders[order_id]["amount"] if order_id in self.orders else 0
        self.payments[payment_id] = {"order_id": order_id, "amount": amount, "amount_refunded": 0}
        return {
            "razorpay_order_id": order_id,
            "razorpay_payment_id": payment_id,
            "razorpay_signature": _sign(self.key_secret, f"{order_id}|{payment_id}".encode()),
        }

    def webhook(
        self,
        event: str,
        order_id: str,
        payment_id: str,
        *,
        event_id: str | None = None,
        amount: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A signed ``payment.captured``-style delivery: raw body and headers (``amount``
        overrides the order's, as a payment captured for another sum would carry)."""
        order = self.orders[order_id]
        body = json.dumps(
            {
                "entity": "event",
                "account_id": "acc_standin",
                "event": event,
                "contains": ["payment"],
                "payload": {
                    "payment": {
                        "entity": {
                            "id": payment_id,
                            "entity": "payment",
                            "amount": order["amount"] if amount is None else amount,
                            "currency": order["currency"],
                            "status": "captured",
                            "order_id": order_id,
                            "method": "upi",
                        }
                    }
                },
                "created_at": int(time.time()),
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Razorpay-Signature": _sign(self.webhook_secret, body),
            "x-razorpay-event-id": event_id or f"evt_{secrets.token_hex(7)}",
        }
        return body, headers


def _error(status: int, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": "BAD_REQUEST_ERROR", "description": description}}, status_code=status
    )


@pytest.fixture
async def razorpay(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RazorpayStandIn]:
    """Razorpay keys configured, pointing at the stand-in on a local port; a test module
    makes it available with ``from tests.factories.razorpay import razorpay``."""
    stand_in = RazorpayStandIn()
    async with serve(stand_in.app()) as url:  # type: ignore[arg-type]
        settings = runtime.settings.model_copy(
            update={
                "razorpay_key_id": stand_in.key_id,
                "razorpay_key_secret": SecretStr(stand_in.key_secret),
                "razorpay_webhook_secret": SecretStr(stand_in.webhook_secret),
                "razorpay_base_url": url,
            }
        )
        monkeypatch.setattr(runtime, "settings", settings)
        yield stand_in
