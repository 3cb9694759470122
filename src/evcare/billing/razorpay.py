"""Razorpay over httpx, as its documentation defines it, and the local sandbox stand-in.

* Orders API: ``POST {base}/v1/orders`` with HTTP Basic ``key_id:key_secret`` and
  ``{amount (paise), currency, receipt, notes}``; answers the order (``id: order_...``).
* Checkout signature: ``hex(HMAC-SHA256(key_secret, order_id + "|" + payment_id))``.
* Webhook signature: ``X-Razorpay-Signature = hex(HMAC-SHA256(webhook_secret, raw_body))``.
* Refunds API: ``POST {base}/v1/payments/{payment_id}/refund`` with ``{amount (paise),
  speed: "normal", notes, receipt}`` and ``X-Refund-Idempotency`` (a retry with the same key
  refunds once); answers the refund (``id: rfnd_...``, ``status``).

Without configured keys the :class:`SandboxGateway` answers instead: it makes order ids
locally and signs with a secret derived from the app's own secret key, so the whole flow
(order, checkout, verify, webhook) runs on one machine with no account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from evcare.core.config import Settings
from evcare.core.errors import Unavailable, UpstreamTimeout

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class ProviderOrder:
    id: str
    amount_minor: int
    currency: str
    receipt: str
    status: str


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signatures_match(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    payment_id: str
    amount_minor: int
    status: str  # pending | processed | failed


class PaymentGateway(Protocol):
    name: str
    key_id: str

    async def create_order(
        self, *, amount_minor: int, currency: str, receipt: str, notes: dict[str, str]
    ) -> ProviderOrder: ...

    async def refund(
        self, *, payment_id: str, amount_minor: int, receipt: str, idempotency_key: str
    ) -> ProviderRefund: ...

    def payment_signature(self, order_id: str, payment_id: str) -> str: ...

    def webhook_signature(self, body: bytes) -> str: ...


class RazorpayGateway:
    """The real Razorpay API."""

    name = "razorpay"

    def __init__(
        self, *, base_url: str, key_id: str, key_secret: str, webhook_secret: str | None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key_id = key_id
        self._key_secret = key_secret
        self._webhook_secret = webhook_secret

    async def _post(
        self, path: str, body: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as http:
                return await http.post(
                    f"{self.base_url}{path}",
                    json=body,
                    headers=headers,
                    auth=(self.key_id, self._key_secret),
                )
        except httpx.TimeoutException as error:
            raise UpstreamTimeout("Razorpay did not answer in time") from error
        except httpx.HTTPError as error:
            raise Unavailable("Razorpay cannot be reached right now") from error

    async def create_order(
        self, *, amount_minor: int, currency: str, receipt: str, notes: dict[str, str]
    ) -> ProviderOrder:
        body = {"amount": amount_minor, "currency": currency, "receipt": receipt, "notes": notes}
        response = await self._post("/v1/orders", body)
        if response.status_code != 200:
            raise Unavailable(f"Razorpay refused the order: {_error_text(response)}")
        data: dict[str, Any] = response.json()
        return ProviderOrder(
            id=str(data["id"]),
            amount_minor=int(data["amount"]),
            currency=str(data["currency"]),
            receipt=str(data.get("receipt") or receipt),
            status=str(data.get("status", "created")),
        )

    async def refund(
        self, *, payment_id: str, amount_minor: int, receipt: str, idempotency_key: str
    ) -> ProviderRefund:
        body = {"amount": amount_minor, "speed": "normal", "receipt": receipt, "notes": {}}
        response = await self._post(
            f"/v1/payments/{payment_id}/refund",
            body,
            headers={"X-Refund-Idempotency": idempotency_key},
        )
        if response.status_code != 200:
            raise Unavailable(f"Razorpay refused the refund: {_error_text(response)}")
        data: dict[str, Any] = response.json()
        if int(data["amount"]) != amount_minor:
            raise Unavailable("Razorpay answered a refund of another amount")
        return ProviderRefund(
            id=str(data["id"]),
            payment_id=str(data.get("payment_id") or payment_id),
            amount_minor=int(data["amount"]),
            status=str(data.get("status", "pending")),
        )

    def payment_signature(self, order_id: str, payment_id: str) -> str:
        return hmac_hex(self._key_secret, f"{order_id}|{payment_id}".encode())

    def webhook_signature(self, body: bytes) -> str:
        if not self._webhook_secret:
            raise Unavailable(
                "Razorpay webhooks are not configured (EVCARE_RAZORPAY_WEBHOOK_SECRET)"
            )
        return hmac_hex(self._webhook_secret, body)


def _error_text(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        return f"{response.status_code} {error.get('code', '')} {error.get('description', '')}"
    except ValueError:
        return str(response.status_code)


class SandboxGateway:
    """A local provider with Razorpay's ids and signatures; no money moves."""

    name = "sandbox"
    key_id = "rzp_sandbox"

    def __init__(self, *, secret: str, webhook_secret: str | None = None) -> None:
        self._secret = secret
        self._webhook_secret = webhook_secret or secret

    async def create_order(
        self, *, amount_minor: int, currency: str, receipt: str, notes: dict[str, str]
    ) -> ProviderOrder:
        return ProviderOrder(
            id=f"order_{random_id()}",
            amount_minor=amount_minor,
            currency=currency,
            receipt=receipt,
            status="created",
        )

    def payment_signature(self, order_id: str, payment_id: str) -> str:
        return hmac_hex(self._secret, f"{order_id}|{payment_id}".encode())

    def webhook_signature(self, body: bytes) -> str:
        return hmac_hex(self._webhook_secret, body)

    async def refund(
        self, *, payment_id: str, amount_minor: int, receipt: str, idempotency_key: str
    ) -> ProviderRefund:
        return ProviderRefund(
            id=f"rfnd_{random_id()}",
            payment_id=payment_id,
            amount_minor=amount_minor,
            status="processed",
        )

    def checkout(self, order_id: str) -> tuple[str, str]:
        """What Razorpay Checkout hands the customer's browser: a payment id and signature."""
        payment_id = f"pay_{random_id()}"
        return payment_id, self.payment_signature(order_id, payment_id)


_ALPHABET = string.ascii_letters + string.digits


def random_id(length: int = 14) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def gateway_for(settings: Settings) -> PaymentGateway:
    """Razorpay when keys are configured, else the sandbox; never the sandbox in production
    (it would accept payments nobody made)."""
    webhook = settings.razorpay_webhook_secret
    webhook_secret = webhook.get_secret_value() if webhook else None
    if settings.razorpay_key_id and settings.razorpay_key_secret:
        return RazorpayGateway(
            base_url=settings.razorpay_base_url,
            key_id=settings.razorpay_key_id,
            key_secret=settings.razorpay_key_secret.get_secret_value(),
            webhook_secret=webhook_secret,
        )
    if settings.environment == "production":
        raise Unavailable(
            "Online payments are not configured: set EVCARE_RAZORPAY_KEY_ID and "
            "EVCARE_RAZORPAY_KEY_SECRET"
        )
    derived = hmac_hex(settings.secret_key.get_secret_value(), b"razorpay-sandbox")
    return SandboxGateway(secret=derived, webhook_secret=webhook_secret)
