"""Outbox topics of connector bookings."""

from __future__ import annotations

from typing import Any

from evcare.charging.bookings.models import ConnectorBooking
from evcare.core.clock import as_utc

BOOKING_REMINDER = "charging.booking_reminder"
"""Payload ``{userId, booking}``: ``booking-reminder {booking}`` to room ``user:<id>``."""

# What the driver is told (a notice payload: ``user_id, category, title, message, data``).
BOOKING_CONFIRMED = "charging.booking_confirmed"
BOOKING_CANCELLED = "charging.booking_cancelled"


def booking_notice(row: ConnectorBooking, *, confirmed: bool) -> dict[str, Any]:
    start = as_utc(row.scheduled_at).strftime("%d %b %Y %H:%M UTC")
    number = row.booking_number or str(row.id)
    if confirmed:
        title, message = "Booking confirmed", f"Your booking {number} for {start} is confirmed."
    else:
        title, message = "Booking cancelled", f"Your booking {number} for {start} is cancelled."
    return {
        "user_id": row.user_id,
        "category": "booking",
        "title": title,
        "message": message,
        "data": {"bookingId": str(row.id), "bookingNumber": number},
    }
