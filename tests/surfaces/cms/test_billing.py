"""EV-CMS /api/v1/billing: invoices (numbers, items, PDF, email) and transactions."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from evcare.billing.invoice_models import Invoice
from evcare.billing.payment_models import Payment
from evcare.core.clock import clock, utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import bearer, login, make_user, signed_in
from tests.factories.mail import Inbox, smtp_inbox
from tests.factories.ocpp import make_charger, make_session
from tests.factories.wallet import fund
from tests.surfaces.cms.test_auth import assert_cms_error

__all__ = ["smtp_inbox"]

BILLING = "/api/v1/billing"
INVOICE_FIELDS = {
    "id",
    "invoiceNumber",
    "userId",
    "userName",
    "items",
    "subtotal",
    "tax",
    "taxPercentage",
    "total",
    "currency",
    "status",
    "dueDate",
    "paidDate",
    "sessionId",
    "createdAt",
    "type",
    "creditNoteId",
    "creditNoteNumber",
    "creditedInvoiceId",
    "creditedInvoiceNumber",
    "replacedBy",
    "replaces",
    "cancellationReason",
    "cancelledAt",
}
TRANSACTION_FIELDS = {
    "id",
    "type",
    "amount",
    "currency",
    "description",
    "balanceAfter",
    "status",
    "sessionId",
    "userId",
    "kind",
    "source",
    "createdAt",
}


def data(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True
    result: dict[str, Any] = body["data"]
    return result


def invoice_body(user_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "userId": str(user_id),
        "items": [
            {"description": "Fleet charging plan", "quantity": 1.5, "rate": 100.33},
            {"description": "RFID card", "quantity": 2, "rate": 50},
        ],
        "dueDate": (utcnow().date() + timedelta(days=14)).isoformat(),
    }
    body.update(overrides)
    return body


async def admin_invoice(
    client: httpx.AsyncClient, admin: dict[str, str], user_id: int, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{BILLING}/invoices", json=invoice_body(user_id, **overrides), headers=admin
    )
    return data(response, 201)


async def test_billing_routes_need_a_token(client: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", f"{BILLING}/invoices"),
        ("GET", f"{BILLING}/invoices/1"),
        ("POST", f"{BILLING}/invoices"),
        ("POST", f"{BILLING}/invoices/1/send"),
        ("GET", f"{BILLING}/transactions"),
        ("GET", f"{BILLING}/refunds"),
        ("POST", f"{BILLING}/refunds"),
        ("GET", f"{BILLING}/refunds/1"),
        ("PUT", f"{BILLING}/refunds/1/process"),
        ("GET", f"{BILLING}/reports/daily"),
        ("GET", f"{BILLING}/reports/monthly"),
        ("GET", f"{BILLING}/export?startDate=2026-01-01&endDate=2026-01-31"),
    ]:
        assert_cms_error(await client.request(method, path, json={}), 401)


async def test_a_driver_cannot_create_or_send_invoices(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    made = await client.post(f"{BILLING}/invoices", json=invoice_body(user.id), headers=headers)
    assert "MANAGE:BILLING" in str(assert_cms_error(made, 403)["message"])
    assert_cms_error(await client.post(f"{BILLING}/invoices/1/send", headers=headers), 403)


async def test_an_admin_invoice_is_numbered_itemised_and_taxed_in_the_documented_shape(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    made = await admin_invoice(client, admin, user.id)
    invoice = made["invoice"]
    assert set(invoice) == INVOICE_FIELDS
    assert re.fullmatch(rf"INV-{utcnow().year}-\d{{6}}", invoice["invoiceNumber"])
    assert invoice["userId"] == str(user.id) and invoice["userName"] == "Test Person"
    # 1.5 x 100.33 = 150.495, rounded half up once: 150.50; 2 x 50 = 100.
    assert invoice["items"] == [
        {"description": "Fleet charging plan", "quantity": 1.5, "rate": 100.33, "amount": 150.5},
        {"description": "RFID card", "quantity": 2, "rate": 50, "amount": 100},
    ]
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == (250.5, 45.09, 295.59)
    assert invoice["taxPercentage"] == 18 and invoice["status"] == "pending"
    assert invoice["paidDate"] is None and invoice["sessionId"] is None
    mine = data(await client.get(f"{BILLING}/invoices/{invoice['id']}", headers=headers))
    assert mine["invoice"] == invoice
    listed = data(await client.get(f"{BILLING}/invoices", headers=headers))
    assert [i["id"] for i in listed["invoices"]] == [invoice["id"]]
    assert listed["summary"]["totalInvoices"] == 1
    assert listed["summary"]["pending"] == {"count": 1, "amount": 295.59}


async def test_someone_elses_invoice_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, _ = await signed_in(runtime, client)
    _, stranger = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    made = await admin_invoice(client, admin, owner.id)
    path = f"{BILLING}/invoices/{made['invoice']['id']}"
    assert_cms_error(await client.get(path, headers=stranger), 404)
    assert_cms_error(await client.get(f"{path}?format=pdf", headers=stranger), 404)
    listed = data(await client.get(f"{BILLING}/invoices", headers=stranger))
    assert listed["invoices"] == [] and listed["summary"]["totalInvoices"] == 0
    assert_cms_error(await client.get(f"{BILLING}/invoices/2147483648", headers=admin), 404)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"items": [{"description": "x", "quantity": 1, "rate": 0}]}, "items.0.rate"),
        ({"items": [{"description": "x", "quantity": 1, "rate": -5}]}, "items.0.rate"),
        ({"items": [{"description": "x", "quantity": 1, "rate": 1.001}]}, "items.0.rate"),
        ({"items": [{"description": "x", "quantity": 0, "rate": 1}]}, "items.0.quantity"),
        ({"items": [{"description": "x", "quantity": 0.0001, "rate": 1}]}, "items.0.quantity"),
        ({"items": [{"description": "x", "quantity": 1, "rate": 1e12}]}, "items.0.rate"),
        ({"items": []}, "items"),
        ({"dueDate": "2020-01-01"}, "dueDate"),
        ({"dueDate": "tomorrow"}, "dueDate"),
        ({"userId": "nobody"}, "userId"),
    ],
)
async def test_bad_invoice_input_is_422_naming_the_field_and_writes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, change: dict[str, Any], field: str
) -> None:
    user, _ = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    response = await client.post(
        f"{BILLING}/invoices", json=invoice_body(user.id, **change), headers=admin
    )
    body = assert_cms_error(response, 422)
    assert field in [error["field"] for error in body["errors"]], body  # type: ignore[attr-defined]
    async with runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Invoice)) == 0


async def test_an_invoice_for_an_unknown_user_is_404(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    response = await client.post(f"{BILLING}/invoices", json=invoice_body(999_999), headers=admin)
    assert_cms_error(response, 404)


async def test_a_pending_invoice_past_its_due_date_reads_overdue(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    user, headers = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    due = utcnow().date().isoformat()
    made = await admin_invoice(client, admin, user.id, dueDate=due)
    clock.advance(timedelta(days=1))
    headers = bearer(await login(client, user))  # the first token has expired meanwhile
    path = f"{BILLING}/invoices/{made['invoice']['id']}"
    assert data(await client.get(path, headers=headers))["invoice"]["status"] == "overdue"
    overdue = data(await client.get(f"{BILLING}/invoices?status=overdue", headers=headers))
    pending = data(await client.get(f"{BILLING}/invoices?status=pending", headers=headers))
    assert len(overdue["invoices"]) == 1 and pending["invoices"] == []
    assert overdue["summary"]["overdue"]["count"] == 1


async def test_invoice_create_replays_an_idempotency_key(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, _ = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    headers = {**admin, "Idempotency-Key": "invoice-2026-001"}
    first = await client.post(f"{BILLING}/invoices", json=invoice_body(user.id), headers=headers)
    again = await client.post(f"{BILLING}/invoices", json=invoice_body(user.id), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.json() == again.json()
    other = await client.post(
        f"{BILLING}/invoices", json=invoice_body(user.id, items=[]), headers=headers
    )
    assert other.status_code == 422
    async with runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Invoice)) == 1


async def test_the_invoice_is_served_as_a_pdf_on_request(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Text outside Latin-1 (a Devanagari name, the rupee sign) does not break the PDF."""
    user = await make_user(runtime, first_name="अनन्या")
    headers = bearer(await login(client, user))
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    item = {"description": "Charging ₹ plan", "quantity": 1, "rate": 10}
    made = await admin_invoice(client, admin, user.id, items=[item])
    path = f"{BILLING}/invoices/{made['invoice']['id']}"
    by_query = await client.get(f"{path}?format=pdf", headers=headers)
    by_accept = await client.get(path, headers={**headers, "Accept": "application/pdf"})
    for response in (by_query, by_accept):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        assert made["invoice"]["invoiceNumber"] in response.headers["content-disposition"]
    as_json = await client.get(f"{path}?format=json", headers={**headers, "Accept": "*/*"})
    assert as_json.json()["data"]["invoice"]["id"] == made["invoice"]["id"]
    assert_cms_error(await client.get(f"{path}?format=docx", headers=headers), 422)


async def test_send_emails_the_invoice_with_its_pdf_over_smtp(
    client: httpx.AsyncClient,
    runtime: Runtime,
    smtp_inbox: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port = smtp_inbox
    settings = runtime.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
    )
    monkeypatch.setattr(runtime, "settings", settings)
    user, _ = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    made = await admin_invoice(client, admin, user.id)
    number = made["invoice"]["invoiceNumber"]
    sent = await client.post(f"{BILLING}/invoices/{made['invoice']['id']}/send", headers=admin)
    assert sent.status_code == 200 and sent.json() == {"success": True}
    [(_, recipients, content)] = inbox.messages
    assert recipients == [user.email]
    message = email.message_from_string(content)
    assert number in str(message["Subject"])
    [attachment] = [part for part in message.walk() if part.get_filename()]
    assert attachment.get_filename() == f"{number}.pdf"
    assert attachment.get_content_type() == "application/pdf"
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes) and payload.startswith(b"%PDF-")
    async with runtime.sessionmaker() as session:
        stored = await session.get(Invoice, int(made["invoice"]["id"]))
        assert stored is not None and stored.sent_at is not None


async def test_send_without_smtp_is_503_and_someone_elses_is_404(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, _ = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    made = await admin_invoice(client, admin, user.id)
    assert runtime.settings.smtp_host is None
    sent = await client.post(f"{BILLING}/invoices/{made['invoice']['id']}/send", headers=admin)
    assert_cms_error(sent, 503)
    assert_cms_error(await client.post(f"{BILLING}/invoices/999999/send", headers=admin), 404)


async def test_a_session_paid_from_the_wallet_gets_its_invoice(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 100_000)
    charger = await make_charger(runtime, base_price_minor=2000)
    charged = await make_session(
        runtime, charger, user=user, started_at=utcnow() - timedelta(hours=1), energy_wh=10_000
    )
    paid = await client.post(
        "/api/v1/profile/wallet/pay",
        json={"amount": 200, "description": "Charging", "sessionId": str(charged.id)},
        headers=headers,
    )
    assert paid.status_code == 200, paid.text
    listed = data(await client.get(f"{BILLING}/invoices", headers=headers))
    [invoice] = listed["invoices"]
    assert invoice["status"] == "paid" and invoice["paidDate"] is not None
    assert invoice["sessionId"] == f"SES{charged.id:06d}"
    # A session of the factory's tariff (energy only, no GST); GST is split out in
    # tests/ocpp/test_session_money.py, over real OCPP.
    assert (invoice["total"], invoice["tax"], invoice["subtotal"]) == (200, 0, 200)
    assert [(i["description"], i["amount"]) for i in invoice["items"]] == [
        ("Energy 10.000 kWh", 200)
    ]
    assert listed["summary"]["paid"] == {"count": 1, "amount": 200}


async def test_transactions_list_wallet_entries_and_payments_of_their_owner(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    other, other_headers = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    await fund(runtime, user, 50_000)
    await fund(runtime, other, 10_000)
    paid = await client.post(
        "/api/v1/profile/wallet/pay",
        json={"amount": 25.5, "description": "Parking"},
        headers=headers,
    )
    assert paid.status_code == 200
    async with runtime.sessionmaker() as session:
        payment = Payment(
            reference_type="service_booking",
            reference_id=7,
            payer_id=user.id,
            provider="razorpay",
            method="online",
            provider_order_id="order_billingtest1",
            amount_minor=99_900,
            currency="INR",
            status="created",
        )
        session.add(payment)
        await session.commit()
    mine = await client.get(f"{BILLING}/transactions", headers=headers)
    listed = data(mine)["transactions"]
    assert mine.json()["pagination"]["total"] == 3
    assert all(set(t) == TRANSACTION_FIELDS for t in listed)
    assert {t["userId"] for t in listed} == {str(user.id)}
    [online] = [t for t in listed if t["source"] == "payment"]
    assert online["id"] == f"PAY{payment.id:06d}" and online["status"] == "pending"
    assert online["type"] == "debit" and online["amount"] == 999
    assert online["description"] == "Service booking 7 (razorpay)"
    debits = data(await client.get(f"{BILLING}/transactions?type=debit", headers=headers))
    assert {t["amount"] for t in debits["transactions"]} == {25.5, 999}
    done = data(
        await client.get(f"{BILLING}/transactions?type=debit&status=completed", headers=headers)
    )
    assert [t["description"] for t in done["transactions"]] == ["Parking"]
    theirs = data(await client.get(f"{BILLING}/transactions", headers=other_headers))
    assert {t["userId"] for t in theirs["transactions"]} == {str(other.id)}
    everyone = await client.get(f"{BILLING}/transactions?limit=100", headers=admin)
    assert everyone.json()["pagination"]["total"] == 4
    paged = await client.get(f"{BILLING}/transactions?page=2&limit=2", headers=headers)
    assert len(data(paged)["transactions"]) == 1 and paged.json()["pagination"]["hasPrev"]
    for bad in ("type=refund", "status=done", "limit=101", "page=0"):
        assert_cms_error(await client.get(f"{BILLING}/transactions?{bad}", headers=headers), 422)
