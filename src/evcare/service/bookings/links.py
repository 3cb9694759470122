"""A booking's public status link: live status and timeline without signing in.

The token is ``<link id>.<expiry, unix seconds>.<HMAC-SHA256 signature>`` over the link id,
the booking and the expiry with the server's secret key: it is never stored (the row
holds only the expiry and whether it was revoked), it cannot be forged or moved to another
booking, it stops working at its expiry, and revoking the row ends it at once. Every
booking gets one when it is made; the customer (or an admin) can issue a fresh one, which
revokes the others, or revoke them all.

What the page shows: the customer's first name, the car's model, the status and the
timeline's steps (status and time): no other personal data, no notes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import as_utc, utcnow
from evcare.core.errors import NotFound
from evcare.identity import repository as identity_repository
from evcare.identity.principal import Principal
from evcare.service.bookings import lifecycle, repository
from evcare.service.bookings.models import BookingEvent, BookingLink, ServiceBooking
from evcare.vehicles.models import Vehicle

# A link lives this long after its booking's service date (or after it is issued).
LINK_DAYS = 30


@dataclass(frozen=True)
class IssuedLink:
    link: BookingLink
    token: str


@dataclass(frozen=True)
class PublicStatus:
    booking: ServiceBooking
    first_name: str
    car_model: str | None
    timeline: list[BookingEvent]
    expires_at: datetime


def _signature(secret: bytes, link_id: int, booking_id: int, expires: int) -> str:
    message = f"service-booking-link:{link_id}:{booking_id}:{expires}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_of(link: BookingLink, secret: bytes) -> str:
    expires = int(as_utc(link.expires_at).timestamp())
    return f"{link.id}.{expires}.{_signature(secret, link.id, link.booking_id, expires)}"


async def issue_link(
    session: AsyncSession, booking: ServiceBooking, *, actor: int | None
) -> BookingLink:
    """A new link for ``booking``; the others are revoked."""
    now = utcnow()
    for old in await repository.live_links(session, booking.id):
        old.revoked_at = now
    service_day = datetime.combine(booking.service_date, datetime.min.time(), UTC)
    link = BookingLink(
        booking_id=booking.id,
        expires_at=max(service_day, now).replace(microsecond=0) + timedelta(days=LINK_DAYS),
        created_by=actor,
    )
    session.add(link)
    await session.flush()
    return link


async def renew_link(
    session: AsyncSession, principal: Principal, secret: bytes, *, booking_id: int
) -> IssuedLink:
    """The customer (or an admin) issues a fresh link; earlier ones stop working."""
    booking = await lifecycle.load_as_customer(session, principal, booking_id)
    link = await issue_link(session, booking, actor=principal.user_id)
    return IssuedLink(link, token_of(link, secret))


async def revoke_links(session: AsyncSession, principal: Principal, *, booking_id: int) -> int:
    """Every link of the booking stops working now; how many were live."""
    booking = await lifecycle.load_as_customer(session, principal, booking_id)
    links = await repository.live_links(session, booking.id)
    for link in links:
        link.revoked_at = utcnow()
    await session.flush()
    return len(links)


async def public_status(session: AsyncSession, secret: bytes, *, token: str) -> PublicStatus:
    """What the link shows; any bad, expired or revoked token is the same 404."""
    gone = NotFound("This status link is not valid (it may have expired or been revoked)")
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise gone
    link = await session.get(BookingLink, int(parts[0]))
    if link is None:
        raise gone
    expires = int(as_utc(link.expires_at).timestamp())
    expected = _signature(secret, link.id, link.booking_id, expires)
    if not hmac.compare_digest(expected, parts[2]) or int(parts[1]) != expires:
        raise gone
    if link.revoked_at is not None or as_utc(link.expires_at) <= utcnow():
        raise gone
    booking = await repository.get_booking(session, link.booking_id, principal=None)
    if booking is None:
        raise gone
    customer = await identity_repository.get_user(session, booking.customer_id)
    vehicle = await session.get(Vehicle, booking.vehicle_id) if booking.vehicle_id else None
    return PublicStatus(
        booking=booking,
        first_name=customer.first_name if customer else "",
        car_model=(f"{vehicle.make} {vehicle.model}".strip() if vehicle else None) or None,
        timeline=[
            e
            for e in await repository.timeline_of(session, booking.id)
            if e.from_status != e.to_status
        ],
        expires_at=as_utc(link.expires_at),
    )
