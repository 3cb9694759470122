"""A local stand-in for Paystack's servers, following its documented API and signatures.

* ``POST /transaction/initialize`` with ``Authorization: Bearer <secret key>`` and JSON
  ``{email, amount (minor units), currency, reference, metadata}`` answers
  ``{status: true, message, data: {authorization_url, access_code, reference}}``; a wrong
  key is a 401 ``{status: false, message: "Invalid key"}``, a reference used before a 400.
* ``GET /transaction/verify/{reference}`` answers ``{status: true, data: {status, amount,
  currency, reference, ...}}``; ``status`` is ``abandoned`` until the customer pays
  (:meth:`PaystackStandIn.pay`), then ``success``. An unknown reference is a 400.
* Webhooks are signed ``x-paystack-signature = hex(HMAC-SHA512(secret key, raw body))``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
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


@dataclass
class PaystackStandIn:
    secret_key: str = field(default_factory=lambda: f"sk_test_{secrets.token_hex(16)}")
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    verified: list[str] = field(default_factory=list)  # references asked about, in order

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/transaction/initialize", self._initialize, methods=["POST"]),
                Route("/transaction/verify/{reference}", self._verify, methods=["GET"]),
            ]
        )

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.secret_key}"

    async def _initialize(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return _refusal(401, "Invalid key")
        body = await request.json()
        reference = str(body.get("reference") or secrets.token_hex(8))
        if reference in self.transactions:
            return _refusal(400, "Duplicate Transaction Reference")
        if not isinstance(body.get("amount"), int) or not body.get("email"):
            return _refusal(400, "Invalid amount or email")
        self.transactions[reference] = {
            "reference": reference,
            "amount": body["amount"],
            "currency": body.get("currency", "NGN"),
            "email": body["email"],
            "metadata": body.get("metadata"),
            "status": "abandoned",
        }
        code = secrets.token_hex(8)
        return JSONResponse(
            {
                "status": True,
                "message": "Authorization URL created",
                "data": {
                    "authorization_url": f"https://checkout.paystack.com/{code}",
                    "access_code": code,
                    "reference": reference,
                },
            }
        )

    async def _verify(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return _refusal(401, "Invalid key")
        reference = request.path_params["reference"]
        self.verified.append(reference)
        found = self.transactions.get(reference)
        if found is None:
            return _refusal(400, "Transaction reference not found")
        return JSONResponse({"status": True, "message": "Verification successful", "data": found})

    def pay(
        self, reference: str, *, amount: int | None = None, currency: str | None = None
    ) -> None:
        """The customer pays on Paystack's page (``amount``: another sum was charged)."""
        found = self.transactions[reference]
        found["status"] = "success"
        found["amount"] = found["amount"] if amount is None else amount
        found["currency"] = currency or found["currency"]

    def charge_success(
        self, reference: str, *, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """A signed ``charge.success`` delivery: raw body and headers."""
        found = self.transactions[reference]
        body = json.dumps(
            {
                "event": "charge.success",
                "data": {
                    "id": 302961,
                    "reference": reference,
                    "amount": found["amount"],
                    "currency": found["currency"],
                    "status": "success",
                },
            }
        ).encode()
        signature = hmac.new((secret or self.secret_key).encode(), body, hashlib.sha512).hexdigest()
        return body, {"Content-Type": "application/json", "x-paystack-signature": signature}


def _refusal(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": False, "message": message}, status_code=status)


@pytest.fixture
async def paystack(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[PaystackStandIn]:
    """Paystack's key configured, its base URL the stand-in on a local port."""
    stand_in = PaystackStandIn()
    async with serve(stand_in.app()) as url:  # type: ignore[arg-type]
        settings = runtime.settings.model_copy(
            update={
                "paystack_secret_key": SecretStr(stand_in.secret_key),
                "paystack_base_url": url,
            }
        )
        monkeypatch.setattr(runtime, "settings", settings)
        yield stand_in
