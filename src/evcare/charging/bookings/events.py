"""Outbox topics of connector bookings."""

from __future__ import annotations

BOOKING_REMINDER = "charging.booking_reminder"
"""Payload ``{userId, booking}``: ``booking-reminder {booking}`` to room ``user:<id>``."""
