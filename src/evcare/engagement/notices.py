"""What a committed event tells a user: the topics that notify, and the notice of each.

Most topics carry the notice in their payload (``user_id, category, title, message,
data``), written by the context that knows the words; the charging session events carry
the Session object instead, and the notice is worded here. The :class:`Subject` of each
topic is what the recipient's preferences are asked about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evcare.charging import events as charging
from evcare.charging.bookings.events import (
    BOOKING_CANCELLED,
    BOOKING_CONFIRMED,
    BOOKING_REMINDER,
)
from evcare.charging.maintenance.faults import FAULT_TOPIC
from evcare.charging.maintenance.service import SCHEDULED_TOPIC
from evcare.core.ids import parse_key
from evcare.engagement.preferences import Subject

Payload = dict[str, Any]

# Topics whose payload is the notice itself, and what each is about (None: security).
NOTICE_TOPICS: dict[str, Subject | None] = {
    "service.booking_status_changed": Subject.BOOKING,
    # A booking's news within a status: item progress, a supplementary estimate, a reschedule.
    "service.booking_updated": Subject.BOOKING,
    "identity.sign_in_locked": None,
    # Billing's topics by name: billing sends its invoices through engagement's mailer, so
    # engagement must not import billing back.
    "billing.wallet_low_balance": Subject.LOW_BALANCE,
    "billing.payment_received": Subject.PAYMENT,
    BOOKING_CONFIRMED: Subject.BOOKING,
    BOOKING_CANCELLED: Subject.BOOKING,
    SCHEDULED_TOPIC: Subject.MAINTENANCE,
    FAULT_TOPIC: Subject.MAINTENANCE,
    # A ticket's news stays in the app; a KYC decision goes out like a security notice.
    "support.ticket_updated": Subject.SYSTEM,
    "kyc.decided": None,
    # An organization's webhook endpoint disabled after days of failures: its admins must know.
    "integrations.webhook_disabled": None,
    # A refund asked for (the user and the admins) and decided (the user).
    "billing.refund_requested": Subject.PAYMENT,
    "billing.refund_processed": Subject.PAYMENT,
    # A fleet vehicle reached a due point of its service plan: each fleet manager hears.
    "fleet.maintenance_due_notice": Subject.MAINTENANCE,
}


@dataclass(frozen=True)
class Notice:
    user_id: int
    category: str  # booking | session | payment | system | promotion | security | wallet ...
    title: str
    message: str
    subject: Subject | None
    data: dict[str, Any] = field(default_factory=dict)


def _from_payload(subject: Subject | None) -> Callable[[Payload], Notice | None]:
    def compose(payload: Payload) -> Notice | None:
        return Notice(
            user_id=int(payload["user_id"]),
            category=str(payload["category"])[:40],
            title=str(payload["title"])[:200],
            message=str(payload["message"])[:1000],
            subject=subject,
            data=dict(payload.get("data") or {}),
        )

    return compose


def _session_started(payload: Payload) -> Notice | None:
    user_id = parse_key(payload.get("userId"))
    if user_id is None:  # an unknown id tag: nobody to tell
        return None
    session = payload["session"]
    return Notice(
        user_id=user_id,
        category="session",
        title="Charging started",
        message=f"Your session {session['sessionId']} has started on charger "
        f"{session['chargerId']}.",
        subject=Subject.SESSION_START,
        data={"sessionId": session["sessionId"], "chargerId": session["chargerId"]},
    )


def _session_stopped(payload: Payload) -> Notice | None:
    user_id = parse_key(payload.get("userId"))
    if user_id is None:
        return None
    session = payload["session"]
    cost = session.get("cost")
    currency = (payload.get("cdr") or {}).get("currency") or "INR"
    spent = "" if cost is None else f" for {cost:g} {currency}"
    energy = float(session.get("energyConsumed") or 0)
    return Notice(
        user_id=user_id,
        category="session",
        title="Charging complete",
        message=f"Your session {session['sessionId']} is complete: {energy:g} kWh{spent}.",
        subject=Subject.SESSION_COMPLETE,
        data={
            "sessionId": session["sessionId"],
            "energyConsumed": session.get("energyConsumed"),
            "cost": cost,
        },
    )


def _booking_reminder(payload: Payload) -> Notice | None:
    user_id = parse_key(payload.get("userId"))
    if user_id is None:
        return None
    booking = payload.get("booking") or {}
    number = booking.get("bookingNumber") or payload.get("bookingId")
    return Notice(
        user_id=user_id,
        category="booking",
        title="Booking starts soon",
        message=f"Your booking {number} starts at {booking.get('scheduledTime')}.",
        subject=Subject.BOOKING_REMINDER,
        data={"bookingId": str(payload.get("bookingId")), "bookingNumber": number},
    )


COMPOSERS: dict[str, Callable[[Payload], Notice | None]] = {
    **{topic: _from_payload(subject) for topic, subject in NOTICE_TOPICS.items()},
    charging.SESSION_STARTED: _session_started,
    charging.SESSION_STOPPED: _session_stopped,
    BOOKING_REMINDER: _booking_reminder,
}


def compose(topic: str, payload: Payload) -> Notice | None:
    composer = COMPOSERS.get(topic)
    return composer(payload) if composer else None
