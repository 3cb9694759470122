"""Monthly invoices and Paystack on /v1 (HUB.md "Subscriptions, usage, Paystack"), against
a local stand-in that follows Paystack's API: nothing is credited without Paystack's word
for the invoice's amount and currency, and a replayed webhook credits once."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from evcare.billing.hub_invoice_models import HubInvoice
from evcare.billing.paystack import SandboxPaystack, paystack_for
from evcare.core.clock import utcnow
from evcare.core.events import OutboxEvent
from evcare.core.runtime import Runtime
from evcare.integrations import invoices
from evcare.integrations.usage_models import UsageCount
from evcare.integrations.webhooks.sources import announce
from tests.factories.identity import bearer, signed_in
from tests.factories.integrations import admin_headers, partner_user
from tests.factories.paystack import PaystackStandIn, paystack
from tests.surfaces.hub.test_idempotency import assert_hub_error
from tests.surfaces.hub.test_subscriptions import integration_with_token, load_plans
from tests.test_cli import cli_env, invoke

__all__ = ["cli_env", "paystack"]

WEBHOOK = "/v1/integrations/billing/paystack/webhook"
INVOICE_FIELDS = {
    "id", "number", "integrationId", "month", "status", "planId", "planName", "currency",
    "monthlyFee", "calls", "includedCalls", "overage", "total", "createdAt", "paidAt",
}  # fmt: skip


def last_month() -> invoices.Month:
    day = utcnow().date().replace(day=1) - timedelta(days=1)
    return invoices.Month(day.year, day.month)


def keyed(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Idempotency-Key": str(uuid.uuid4())}


async def subscribed(
    client: httpx.AsyncClient, runtime: Runtime, *, calls: int, plan: str = "plan_growth"
) -> tuple[str, dict[str, str]]:
    """An integration on ``plan`` that made ``calls`` calls last month (and 7 this month)."""
    await load_plans(runtime)
    created, own = await integration_with_token(client, runtime)
    integration_id = created["integration"]["id"]
    put = await client.put(
        f"/v1/integrations/{integration_id}/subscription", json={"planId": plan}, headers=own
    )
    assert put.status_code == 200, put.text
    first = last_month().first_day
    async with runtime.sessionmaker() as session:
        session.add_all(
            [
                UsageCount(integration_id=integration_id, day=first, endpoint="GET /v1/a",
                           calls=calls - calls // 3),
                UsageCount(integration_id=integration_id, day=first + timedelta(days=20),
                           endpoint="GET /v1/b", calls=calls // 3),
                UsageCount(integration_id=integration_id, day=utcnow().date(),
                           endpoint="GET /v1/a", calls=7),
            ]
        )  # fmt: skip
        await session.commit()
    return integration_id, own


async def generate(runtime: Runtime) -> list[str]:
    async with runtime.sessionmaker() as session:
        created = await invoices.generate_month(session, last_month())
        await session.commit()
        return [invoice.id for invoice in created]


async def events(runtime: Runtime, topic: str) -> list[dict[str, Any]]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic))
        return [row.payload for row in rows]


async def test_a_monthly_invoice_from_plan_and_usage_once_per_month(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    integration_id, own = await subscribed(client, runtime, calls=251_500)
    [invoice_id] = await generate(runtime)
    assert await generate(runtime) == []  # the same month again: nothing new
    url = f"/v1/integrations/{integration_id}/invoices"
    listed = await client.get(url, headers=own)
    assert listed.status_code == 200, listed.text
    [invoice] = listed.json()["data"]
    assert listed.json()["pagination"]["total"] == 1
    assert set(invoice) == INVOICE_FIELDS
    assert invoice["id"] == invoice_id and invoice_id.startswith("inv_")
    assert invoice["number"].startswith(f"INV-{utcnow().year}-")
    # 25,000 fee + 1,500 calls over the 250,000 included at 300 per 1,000 = 450.
    assert (invoice["calls"], invoice["overage"], invoice["total"]) == (251_500, 450, 25_450)
    assert (invoice["status"], invoice["currency"], invoice["month"]) == (
        "open", "GHS", str(last_month())
    )  # fmt: skip
    admin = await admin_headers(runtime, client)
    one = await client.get(f"{url}/{invoice_id}", headers=admin)
    assert one.status_code == 200 and one.json() == invoice
    [payload] = await events(runtime, invoices.INVOICE_CREATED)
    announced = announce(invoices.INVOICE_CREATED, payload)
    assert announced is not None and announced.event_type == "invoice.created"
    assert announced.integration_id == integration_id
    assert announced.data["id"] == invoice_id and announced.data["amount"] == 25_450


async def test_invoices_refuse_strangers_others_and_bad_input(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    integration_id, own = await subscribed(client, runtime, calls=10)
    other_id, other = await subscribed(client, runtime, calls=10, plan="plan_starter")
    await generate(runtime)
    url = f"/v1/integrations/{integration_id}/invoices"
    [invoice_id] = [item["id"] for item in (await client.get(url, headers=own)).json()["data"]]
    other_url = f"/v1/integrations/{other_id}/invoices"
    [foreign_id] = [
        item["id"] for item in (await client.get(other_url, headers=other)).json()["data"]
    ]
    assert_hub_error(await client.get(url), 401, "UNAUTHORIZED")
    _, person = await signed_in(runtime, client)
    assert_hub_error(await client.get(url, headers=person), 403, "FORBIDDEN")
    assert_hub_error(await client.get(url, headers=other), 404, "NOT_FOUND")
    assert_hub_error(await client.get(f"{url}/{foreign_id}", headers=own), 404, "NOT_FOUND")
    assert_hub_error(await client.get(f"{other_url}/{invoice_id}", headers=other), 404, "NOT_FOUND")
    assert_hub_error(await client.get(f"{url}/inv_nope", headers=own), 404, "NOT_FOUND")
    assert_hub_error(await client.get(f"{url}?limit=0", headers=own), 422, "VALIDATION_ERROR")


async def test_a_partner_user_may_not_read_or_pay_invoices(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await load_plans(runtime)
    created, _ = await integration_with_token(client, runtime)
    integration_id = created["integration"]["id"]
    browser = bearer((await partner_user(client, created))["accessToken"])
    url = f"/v1/integrations/{integration_id}"
    assert_hub_error(await client.get(f"{url}/invoices", headers=browser), 403, "FORBIDDEN")
    body = {"email": "billing@partner.com", "amount": 1200, "currency": "GHS"}
    refused = await client.post(
        f"{url}/billing/paystack/initialize", json=body, headers=keyed(browser)
    )
    assert_hub_error(refused, 403, "FORBIDDEN")


async def open_invoice(
    client: httpx.AsyncClient, runtime: Runtime
) -> tuple[str, dict[str, str], dict[str, Any]]:
    integration_id, own = await subscribed(client, runtime, calls=251_500)
    await generate(runtime)
    listed = await client.get(f"/v1/integrations/{integration_id}/invoices", headers=own)
    return integration_id, own, listed.json()["data"][0]


async def initialize(
    client: httpx.AsyncClient, integration_id: str, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/integrations/{integration_id}/billing/paystack/initialize",
        json={"email": "billing@partner.com", **body},
        headers=headers,
    )


async def test_paystack_pays_an_invoice_once_webhook_replayed_and_verify(
    client: httpx.AsyncClient, runtime: Runtime, paystack: PaystackStandIn
) -> None:
    integration_id, own, invoice = await open_invoice(client, runtime)
    pay = {"amount": invoice["total"], "currency": "GHS", "invoiceId": invoice["id"]}
    headers = keyed(own)
    started = await initialize(client, integration_id, headers, **pay)
    assert started.status_code == 200, started.text
    assert set(started.json()) == {"authorizationUrl", "accessCode", "reference"}
    reference = started.json()["reference"]
    again = await initialize(client, integration_id, headers, **pay)  # a retry: replayed
    assert again.json() == started.json() and again.headers["idempotent-replayed"] == "true"
    sent = paystack.transactions[reference]
    assert (sent["amount"], sent["currency"], sent["email"]) == (
        25_450,
        "GHS",
        "billing@partner.com",
    )
    assert sent["metadata"] == {"integrationId": integration_id, "invoiceId": invoice["id"]}
    verify = f"/v1/integrations/{integration_id}/billing/paystack/verify/{reference}"
    pending = await client.get(verify, headers=own)
    assert pending.status_code == 200, pending.text
    assert pending.json()["status"] == "initialized"
    assert pending.json()["paystackStatus"] == "abandoned"
    assert pending.json()["invoice"]["status"] == "open"

    paystack.pay(reference)
    body, signed = paystack.charge_success(reference)
    paystack.verified.clear()
    first = await client.post(WEBHOOK, content=body, headers=signed)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": True, "credited": True}
    assert paystack.verified == [reference]  # asked Paystack before crediting
    replayed = await client.post(WEBHOOK, content=body, headers=signed)
    assert replayed.json() == {"received": True, "credited": False}
    paid = await client.get(verify, headers=own)
    assert paid.json()["status"] == "success" and paid.json()["invoice"]["status"] == "paid"
    shown = await client.get(
        f"/v1/integrations/{integration_id}/invoices/{invoice['id']}", headers=own
    )
    assert shown.json()["status"] == "paid" and shown.json()["paidAt"]
    [payload] = await events(runtime, invoices.INVOICE_PAID)
    announced = announce(invoices.INVOICE_PAID, payload)
    assert announced is not None and announced.event_type == "invoice.paid"
    assert announced.data["status"] == "paid"
    # A paid invoice is not paid again.
    twice = await initialize(client, integration_id, keyed(own), **pay)
    assert_hub_error(twice, 409, "CONFLICT")


async def test_verify_alone_pays_the_invoice(
    client: httpx.AsyncClient, runtime: Runtime, paystack: PaystackStandIn
) -> None:
    integration_id, own, invoice = await open_invoice(client, runtime)
    pay = {"amount": invoice["total"], "currency": "GHS", "invoiceId": invoice["id"]}
    reference = (await initialize(client, integration_id, keyed(own), **pay)).json()["reference"]
    paystack.pay(reference)
    verify = f"/v1/integrations/{integration_id}/billing/paystack/verify/{reference}"
    paid = await client.get(verify, headers=await admin_headers(runtime, client))
    assert paid.status_code == 200, paid.text
    assert paid.json()["invoice"]["status"] == "paid"
    assert len(await events(runtime, invoices.INVOICE_PAID)) == 1
    await client.get(verify, headers=own)
    assert len(await events(runtime, invoices.INVOICE_PAID)) == 1


async def test_a_forged_or_unsigned_webhook_credits_nothing(
    client: httpx.AsyncClient, runtime: Runtime, paystack: PaystackStandIn
) -> None:
    integration_id, own, invoice = await open_invoice(client, runtime)
    pay = {"amount": invoice["total"], "currency": "GHS", "invoiceId": invoice["id"]}
    reference = (await initialize(client, integration_id, keyed(own), **pay)).json()["reference"]
    paystack.pay(reference)
    body, forged = paystack.charge_success(reference, secret="sk_test_not_ours")
    assert_hub_error(await client.post(WEBHOOK, content=body, headers=forged), 401, "UNAUTHORIZED")
    unsigned = await client.post(
        WEBHOOK, content=body, headers={"Content-Type": "application/json"}
    )
    assert_hub_error(unsigned, 401, "UNAUTHORIZED")
    _, signed = paystack.charge_success(reference)
    tampered = body.replace(b"charge.success", b"charge.success ")
    assert_hub_error(
        await client.post(WEBHOOK, content=tampered, headers=signed), 401, "UNAUTHORIZED"
    )
    shown = await client.get(
        f"/v1/integrations/{integration_id}/invoices/{invoice['id']}", headers=own
    )
    assert shown.json()["status"] == "open"
    assert await events(runtime, invoices.INVOICE_PAID) == []


async def test_another_amount_or_currency_is_refused_and_never_credited(
    client: httpx.AsyncClient, runtime: Runtime, paystack: PaystackStandIn
) -> None:
    integration_id, own, invoice = await open_invoice(client, runtime)
    wrong = await initialize(
        client, integration_id, keyed(own), amount=100, currency="NGN", invoiceId=invoice["id"]
    )
    body = assert_hub_error(wrong, 422, "VALIDATION_ERROR")
    assert {detail["field"] for detail in body["details"]} == {"amount", "currency"}
    assert paystack.transactions == {}
    pay = {"amount": invoice["total"], "currency": "GHS", "invoiceId": invoice["id"]}
    reference = (await initialize(client, integration_id, keyed(own), **pay)).json()["reference"]
    paystack.pay(reference, amount=100)  # Paystack charged another sum
    raw, signed = paystack.charge_success(reference)
    credited = await client.post(WEBHOOK, content=raw, headers=signed)
    assert credited.json() == {"received": True, "credited": False}
    verify = f"/v1/integrations/{integration_id}/billing/paystack/verify/{reference}"
    checked = await client.get(verify, headers=own)
    assert checked.json()["status"] == "mismatch"
    assert checked.json()["invoice"]["status"] == "open"
    assert await events(runtime, invoices.INVOICE_PAID) == []


async def test_initialize_refusals(
    client: httpx.AsyncClient, runtime: Runtime, paystack: PaystackStandIn
) -> None:
    integration_id, own, invoice = await open_invoice(client, runtime)
    other_id, other = await subscribed(client, runtime, calls=1, plan="plan_starter")
    pay = {"amount": invoice["total"], "currency": "GHS", "invoiceId": invoice["id"]}
    missing = await initialize(client, integration_id, own, **pay)
    assert_hub_error(missing, 400, "IDEMPOTENCY_KEY_REQUIRED")
    assert_hub_error(
        await initialize(client, integration_id, keyed({}), **pay), 401, "UNAUTHORIZED"
    )
    # Another integration's invoice, through its own path or the owner's: 404.
    assert_hub_error(await initialize(client, other_id, keyed(other), **pay), 404, "NOT_FOUND")
    assert_hub_error(
        await initialize(client, integration_id, keyed(other), **pay), 404, "NOT_FOUND"
    )
    bad = await initialize(client, integration_id, keyed(own), amount=-1, currency="ghs")
    body = assert_hub_error(bad, 422, "VALIDATION_ERROR")
    assert {detail["field"] for detail in body["details"]} >= {"amount", "currency"}
    reference = (await initialize(client, integration_id, keyed(own), **pay)).json()["reference"]
    elsewhere = f"/v1/integrations/{other_id}/billing/paystack/verify/{reference}"
    assert_hub_error(await client.get(elsewhere, headers=other), 404, "NOT_FOUND")
    assert paystack.transactions.keys() == {reference}


async def test_without_a_key_the_sandbox_answers_and_production_refuses(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    integration_id, own = await subscribed(client, runtime, calls=1)
    started = await initialize(client, integration_id, keyed(own), amount=1200, currency="GHS")
    assert started.status_code == 200, started.text
    assert started.json()["authorizationUrl"].startswith("https://")
    verify = f"/v1/integrations/{integration_id}/billing/paystack/verify/"
    checked = await client.get(verify + started.json()["reference"], headers=own)
    assert checked.status_code == 200 and checked.json()["status"] == "initialized"
    production = runtime.settings.model_copy(update={"environment": "production"})
    monkeypatch.setattr(runtime, "settings", production)
    refused = await initialize(client, integration_id, keyed(own), amount=1200, currency="GHS")
    assert_hub_error(refused, 503, "PAYMENT_PROVIDER_ERROR")
    unsigned = await client.post(WEBHOOK, content=b"{}")
    assert_hub_error(unsigned, 503, "PAYMENT_PROVIDER_ERROR")


async def test_the_sandbox_signs_and_verifies_like_paystack(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    integration_id, own, invoice = await open_invoice(client, runtime)
    pay = {"amount": invoice["total"], "currency": "GHS", "invoiceId": invoice["id"]}
    reference = (await initialize(client, integration_id, keyed(own), **pay)).json()["reference"]
    sandbox = paystack_for(runtime.settings)
    assert isinstance(sandbox, SandboxPaystack)
    body = json.dumps({"event": "charge.success", "data": {"reference": reference}}).encode()
    signed = {"x-paystack-signature": sandbox.sign(body)}
    unpaid = await client.post(WEBHOOK, content=body, headers=signed)
    assert unpaid.json() == {"received": True, "credited": False}  # verify: still pending
    sandbox.pay(reference)
    paid = await client.post(WEBHOOK, content=body, headers=signed)
    assert paid.json() == {"received": True, "credited": True}


async def test_evcare_hub_invoices_writes_a_month_once(
    client: httpx.AsyncClient, runtime: Runtime, cli_env: None
) -> None:
    integration_id, own = await subscribed(client, runtime, calls=260_000)
    first = await invoke("hub-invoices", "--month", str(last_month()))
    assert first.exit_code == 0, first.output
    assert integration_id in first.output and "28000 GHS" in first.output  # 25,000 + 3,000
    again = await invoke("hub-invoices", "--month", str(last_month()))
    assert again.exit_code == 0 and "no new invoices" in again.output
    listed = await client.get(f"/v1/integrations/{integration_id}/invoices", headers=own)
    assert [item["total"] for item in listed.json()["data"]] == [28_000]
    this_month = utcnow().strftime("%Y-%m")
    assert (await invoke("hub-invoices", "--month", this_month)).exit_code != 0
    assert (await invoke("hub-invoices", "--month", "2026-13")).exit_code != 0


@pytest.mark.skipif(
    not os.environ.get("EVCARE_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="PostgreSQL only: two runs at once need row locks (SQLite has one writer)",
)
async def test_two_runs_at_once_write_each_invoice_once_without_a_gap(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    for _ in range(3):
        await subscribed(client, runtime, calls=5)
    written = await asyncio.gather(generate(runtime), generate(runtime))
    assert sum(len(ids) for ids in written) == 3
    assert len(set(written[0]) | set(written[1])) == 3
    async with runtime.sessionmaker() as session:
        numbers = sorted(await session.scalars(select(HubInvoice.number)))
    assert [int(number.rsplit("-", 1)[1]) for number in numbers] == [1, 2, 3]
