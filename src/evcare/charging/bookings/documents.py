"""The EV-CMS Booking object of a booking, as a plain dict (the route's response model and
the ``booking-reminder`` socket.io event both carry it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evcare.charging.bookings.models import BookingLog, ConnectorBooking
from evcare.charging.sessions.records import public_session_id
from evcare.core.clock import as_utc
from evcare.core.money import major_number


@dataclass(frozen=True)
class BookingView:
    row: ConnectorBooking
    connector_ref: str
    logs: list[BookingLog]


def _iso(value: Any) -> str | None:
    return None if value is None else as_utc(value).isoformat().replace("+00:00", "Z")


def cost_parts(row: ConnectorBooking) -> dict[str, int]:
    """The cost in minor units: subtotal = energy + reservation + parking + platform -
    discount; total = subtotal + GST."""
    subtotal = (
        row.energy_cost_minor
        + row.reservation_fee_minor
        + row.parking_fee_minor
        + row.platform_fee_minor
        - row.discount_minor
    )
    return {
        "energyCost": row.energy_cost_minor,
        "reservationFee": row.reservation_fee_minor,
        "parkingFee": row.parking_fee_minor,
        "platformFee": row.platform_fee_minor,
        "discount": row.discount_minor,
        "subtotal": subtotal,
        "gst": row.gst_minor,
        "total": subtotal + row.gst_minor,
    }


def booking_document(view: BookingView) -> dict[str, Any]:
    row = view.row
    duration = None
    if row.started_at is not None and row.ended_at is not None:
        seconds = (as_utc(row.ended_at) - as_utc(row.started_at)).total_seconds()
        duration = round(seconds / 60, 1)
    rating = None
    if row.rating_score is not None:
        rating = {
            "score": row.rating_score,
            "review": row.rating_review or "",
            "images": list(row.rating_images or []),
            "ratedAt": _iso(row.rated_at),
        }
    return {
        "id": str(row.id),
        "bookingNumber": row.booking_number,
        "userId": str(row.user_id),
        "stationId": str(row.station_id),
        "connectorId": view.connector_ref,
        "vehicleId": None if row.vehicle_id is None else str(row.vehicle_id),
        "status": row.status,
        "scheduledTime": _iso(row.scheduled_at),
        "startTime": _iso(row.started_at),
        "endTime": _iso(row.ended_at),
        "estimatedDuration": row.estimated_minutes,
        "duration": duration,
        "energyConsumed": None if row.energy_wh is None else round(row.energy_wh / 1000, 3),
        "initialSoC": row.initial_soc,
        "finalSoC": row.final_soc,
        "cost": {
            name: major_number(amount, row.currency) for name, amount in cost_parts(row).items()
        },
        "rating": rating,
        "cancellationReason": row.cancellation_reason,
        "sessionId": None if row.session_id is None else public_session_id(row.session_id),
        "logs": [{"event": log.event, "timestamp": _iso(log.at)} for log in view.logs],
    }
