"""Which committed domain events become which webhook events, and whom they concern.

An event reaches the integrations of an organization when it is about:

- the organization itself (``organizationId``) or one of its integrations
  (``integrationId``: credentials rotated);
- a user who belongs to the organization (``organization_member``), whom one of
  the organization's integrations signed in (``external_identity``), or who is one of
  its integrations' service accounts (a ticket its backend opened): the driver of a
  charging session, the customer of a workshop booking;
- a charger or station owned by such a user (``ownerId``): the operator's chargers;
- a maintenance request of the organization's fleet (``organizationId``).

Anything else is nobody's partner event and is not sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evcare.charging import events as charging

Payload = dict[str, Any]


@dataclass(frozen=True)
class Announcement:
    """A webhook event about to be delivered, and how to find its audience."""

    event_type: str
    data: Payload
    resource_key: str | None
    user_ids: tuple[int, ...] = ()
    integration_id: str | None = None
    organization_id: str | None = None


def _user_ids(*values: object) -> tuple[int, ...]:
    found: list[int] = []
    for value in values:
        if isinstance(value, bool):
            continue
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            found.append(int(value))
    return tuple(dict.fromkeys(found))


def _session(event_type: str, with_cdr: bool) -> Callable[[Payload], Announcement | None]:
    def translate(payload: Payload) -> Announcement:
        data = {
            "sessionId": payload.get("sessionId"),
            "chargerId": payload.get("chargerId"),
            "userId": None if payload.get("userId") is None else str(payload["userId"]),
            "session": payload.get("session"),
        }
        if with_cdr:
            data["cdr"] = payload.get("cdr")
        return Announcement(
            event_type,
            data,
            f"session:{payload.get('sessionId')}",
            user_ids=_user_ids(payload.get("userId"), payload.get("ownerId")),
        )

    return translate


def _charger_status(payload: Payload) -> Announcement:
    return Announcement(
        "charger.status_changed",
        {
            "chargerId": payload.get("chargerId"),
            "status": payload.get("status"),
            "connectors": payload.get("connectors") or [],
        },
        f"charger:{payload.get('chargerId')}",
        user_ids=_user_ids(payload.get("ownerId")),
    )


_BOOKING_TYPES = {"created": "booking.created", "cancelled": "booking.cancelled"}


def _booking_status(payload: Payload) -> Announcement | None:
    data = payload.get("data") or {}
    event_type = _BOOKING_TYPES.get(str(data.get("status")))
    # The same topic also tells a mechanic of an assignment: not a booking change.
    if event_type is None or payload.get("category") != "booking":
        return None
    booking_id = str(data.get("booking_id"))
    return Announcement(
        event_type,
        {
            "bookingId": booking_id,
            "status": data.get("status"),
            "previousStatus": data.get("previous_status"),
        },
        f"booking:{booking_id}",
        user_ids=_user_ids(payload.get("user_id")),
    )


def _connector_booking(status: str) -> Callable[[Payload], Announcement | None]:
    """A connector booking confirmed (created: its fee is paid) or cancelled."""

    def translate(payload: Payload) -> Announcement | None:
        data = payload.get("data") or {}
        booking_id = str(data.get("bookingId"))
        return Announcement(
            f"booking.{'created' if status == 'confirmed' else status}",
            {
                "bookingId": booking_id,
                "bookingNumber": data.get("bookingNumber"),
                "kind": "connector",
                "status": status,
                "previousStatus": "confirmed" if status == "cancelled" else None,
            },
            f"connector-booking:{booking_id}",
            user_ids=_user_ids(payload.get("user_id")),
        )

    return translate


def _payment_received(payload: Payload) -> Announcement | None:
    entry_id = payload.get("entryId")
    if entry_id is None:
        return None
    return Announcement(
        "payment.succeeded",
        {
            "id": str(entry_id),  # as GET /api/v1/billing/transactions names it
            "amount": int(payload.get("amountMinor") or 0),
            "currency": str(payload.get("currency")),
            "status": "succeeded",
        },
        f"payment:{entry_id}",
        user_ids=_user_ids(payload.get("user_id")),
    )


def _payment_failed(payload: Payload) -> Announcement:
    payment_id = payload.get("paymentId")
    return Announcement(
        "payment.failed",
        {
            "id": f"PAY{int(payment_id or 0):06d}",  # as GET /api/v1/billing/transactions
            "amount": int(payload.get("amountMinor") or 0),
            "currency": str(payload.get("currency")),
            "status": "failed",
        },
        f"payment:PAY{payment_id}",
        user_ids=_user_ids(payload.get("userId")),
    )


def _ticket(event_type: str) -> Callable[[Payload], Announcement | None]:
    def translate(payload: Payload) -> Announcement:
        data = payload.get("data") or {}
        ticket_id = str(data.get("ticketId"))
        return Announcement(
            event_type,
            {"id": ticket_id, "resource": data},
            f"ticket:{ticket_id}",
            user_ids=_user_ids(payload.get("user_id")),
        )

    return translate


def _maintenance(payload: Payload) -> Announcement | None:
    """A fleet's maintenance request moved with its booking: the fleet hears it."""
    maintenance = payload.get("maintenance") or {}
    maintenance_id = maintenance.get("id")
    if maintenance_id is None or payload.get("organizationId") is None:
        return None
    return Announcement(
        f"maintenance.{payload.get('change')}",
        {"id": str(maintenance_id), "resource": maintenance},
        f"maintenance:{maintenance_id}",
        organization_id=str(payload["organizationId"]),
    )


def _subscription_updated(payload: Payload) -> Announcement:
    integration_id = str(payload.get("integrationId"))
    return Announcement(
        "subscription.updated",
        {"integrationId": integration_id, "planId": str(payload.get("planId"))},
        f"integration:{integration_id}",
        integration_id=integration_id,
    )


def _credentials_rotated(payload: Payload) -> Announcement:
    integration_id = str(payload.get("integrationId"))
    return Announcement(
        "credentials.rotated",
        {"integrationId": integration_id},
        f"integration:{integration_id}",
        integration_id=integration_id,
    )


def _invoice(event_type: str) -> Callable[[Payload], Announcement]:
    def translate(payload: Payload) -> Announcement:
        integration_id = str(payload.get("integrationId"))
        return Announcement(
            event_type,
            {
                "id": payload.get("id"),
                "amount": payload.get("amount"),
                "currency": payload.get("currency"),
                "status": payload.get("status"),
                "integrationId": integration_id,
                "month": payload.get("month"),
            },
            f"invoice:{payload.get('id')}",
            integration_id=integration_id,
        )

    return translate


TRANSLATORS: dict[str, Callable[[Payload], Announcement | None]] = {
    charging.SESSION_STARTED: _session("session.started", with_cdr=False),
    charging.SESSION_STOPPED: _session("session.completed", with_cdr=True),
    charging.CHARGER_STATUS: _charger_status,
    "service.booking_status_changed": _booking_status,
    # Topics by name: billing and support publish them, and neither imports integrations.
    "charging.booking_confirmed": _connector_booking("confirmed"),
    "charging.booking_cancelled": _connector_booking("cancelled"),
    "billing.payment_received": _payment_received,
    "billing.payment_failed": _payment_failed,
    "support.ticket_created": _ticket("ticket.created"),
    "support.ticket_updated": _ticket("ticket.updated"),
    # The same news when nobody is told of it (the owner's own comment or change).
    "support.ticket_changed": _ticket("ticket.updated"),
    "service.fleet_maintenance_changed": _maintenance,
    "integrations.credentials_rotated": _credentials_rotated,
    "integrations.subscription_updated": _subscription_updated,
    "billing.hub_invoice_created": _invoice("invoice.created"),
    "billing.hub_invoice_paid": _invoice("invoice.paid"),
}


def announce(topic: str, payload: Payload) -> Announcement | None:
    translate = TRANSLATORS.get(topic)
    return None if translate is None else translate(payload)
