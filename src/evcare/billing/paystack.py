"""Paystack over httpx, as its documentation defines it, and the local sandbox stand-in.

* ``POST {base}/transaction/initialize`` with ``Authorization: Bearer <secret key>`` and
  ``{email, amount (minor units), currency, reference, metadata}``; answers
  ``{status: true, data: {authorization_url, access_code, reference}}``.
* ``GET {base}/transaction/verify/{reference}``; answers ``data.status`` (``success`` once
  paid), ``data.amount`` (minor units) and ``data.currency``.
* Webhook: ``x-paystack-signature = hex(HMAC-SHA512(secret key, raw body))``.

Without a secret key (development, test) the :class:`SandboxPaystack` answers instead,
with the same shapes and signatures (a key derived from the app's secret key): a payment
is "made" by :meth:`SandboxPaystack.pay`. In production without a key: 503
``PAYMENT_PROVIDER_ERROR``, never the sandbox (it would accept payments nobody made).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from evcare.core.config import Settings
from evcare.core.errors import PaymentProviderError

TIMEOUT_SECONDS = 10.0
# The sandbox forgets its oldest transactions beyond this many (it lives in memory).
SANDBOX_KEEPS = 10_000


@dataclass(frozen=True)
class Initialized:
    authorization_url: str
    access_code: str
    reference: str


@dataclass(frozen=True)
class Verified:
    reference: str
    status: str  # success | failed | abandoned | ongoing | pending ...
    amount_minor: int
    currency: str

    @property
    def succeeded(self) -> bool:
        return self.status == "success"


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha512).hexdigest()


class Paystack(Protocol):
    name: str

    async def initialize(
        self,
        *,
        email: str,
        amount_minor: int,
        currency: str,
        reference: str,
        metadata: dict[str, str],
    ) -> Initialized: ...

    async def verify(self, reference: str) -> Verified: ...

    def signature_ok(self, body: bytes, given: str | None) -> bool: ...


class PaystackGateway:
    """The real Paystack API (or anything that follows it at ``base_url``)."""

    name = "paystack"

    def __init__(self, *, base_url: str, secret_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._secret_key = secret_key

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as http:
                response = await http.request(
                    method,
                    f"{self.base_url}{path}",
                    json=body,
                    headers={"Authorization": f"Bearer {self._secret_key}"},
                )
        except httpx.HTTPError as error:
            raise PaymentProviderError("Paystack cannot be reached right now") from error
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code != 200 or not isinstance(answer, dict) or not answer.get("status"):
            message = answer.get("message", "") if isinstance(answer, dict) else ""
            raise PaymentProviderError(f"Paystack refused: {response.status_code} {message}")
        data = answer.get("data")
        if not isinstance(data, dict):
            raise PaymentProviderError("Paystack answered without data")
        return data

    async def initialize(
        self,
        *,
        email: str,
        amount_minor: int,
        currency: str,
        reference: str,
        metadata: dict[str, str],
    ) -> Initialized:
        data = await self._call(
            "POST",
            "/transaction/initialize",
            {
                "email": email,
                "amount": amount_minor,
                "currency": currency,
                "reference": reference,
                "metadata": metadata,
            },
        )
        return Initialized(
            authorization_url=str(data["authorization_url"]),
            access_code=str(data["access_code"]),
            reference=str(data.get("reference") or reference),
        )

    async def verify(self, reference: str) -> Verified:
        data = await self._call("GET", f"/transaction/verify/{quote(reference, safe='')}")
        return Verified(
            reference=str(data.get("reference") or reference),
            status=str(data.get("status", "")),
            amount_minor=int(data.get("amount") or 0),
            currency=str(data.get("currency", "")).upper(),
        )

    def signature_ok(self, body: bytes, given: str | None) -> bool:
        return _matches(signature(self._secret_key, body), given)


def _matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(
        expected.encode(), given.strip().lower().encode()
    )


class SandboxPaystack:
    """A local Paystack: same answers and signatures, no money moves. A transaction is
    pending until :meth:`pay` (what the customer does on Paystack's page)."""

    name = "sandbox"

    def __init__(self, *, secret_key: str) -> None:
        self._secret_key = secret_key
        self._transactions: dict[str, list[Any]] = {}  # reference -> [amount, currency, status]

    async def initialize(
        self,
        *,
        email: str,
        amount_minor: int,
        currency: str,
        reference: str,
        metadata: dict[str, str],
    ) -> Initialized:
        if len(self._transactions) >= SANDBOX_KEEPS:
            del self._transactions[next(iter(self._transactions))]
        self._transactions.setdefault(reference, [amount_minor, currency, "pending"])
        return Initialized(
            authorization_url=f"https://checkout.paystack.com/sandbox/{reference}",
            access_code=f"sandbox_{reference[-12:]}",
            reference=reference,
        )

    async def verify(self, reference: str) -> Verified:
        found = self._transactions.get(reference)
        if found is None:
            raise PaymentProviderError("Paystack knows no such transaction")
        return Verified(reference, str(found[2]), int(found[0]), str(found[1]))

    def pay(self, reference: str) -> None:
        self._transactions[reference][2] = "success"

    def sign(self, body: bytes) -> str:
        return signature(self._secret_key, body)

    def signature_ok(self, body: bytes, given: str | None) -> bool:
        return _matches(self.sign(body), given)


_sandboxes: dict[str, SandboxPaystack] = {}


def paystack_for(settings: Settings) -> Paystack:
    """Paystack when a secret key is configured; else the sandbox outside production."""
    if settings.paystack_secret_key:
        return PaystackGateway(
            base_url=settings.paystack_base_url,
            secret_key=settings.paystack_secret_key.get_secret_value(),
        )
    if settings.environment == "production":
        raise PaymentProviderError("Paystack is not configured: set EVCARE_PAYSTACK_SECRET_KEY")
    derived = signature(settings.secret_key.get_secret_value(), b"paystack-sandbox")
    # One sandbox per key, so a transaction initialized by one request is verified by the next.
    return _sandboxes.setdefault(derived, SandboxPaystack(secret_key=derived))
