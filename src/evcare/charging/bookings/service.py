"""Connector bookings' rules (docs/bookings.md).

- **Create**: the connector must be free for ``[scheduledTime, +estimatedDuration)``: no
  other booking holding it overlaps, and no session running on it if the window begins
  within ``RUNNING_SESSION_HOLD`` (a running session has no known end). Not in the past
  (``PAST_TOLERANCE`` for clock skew), at most ``maxAdvanceBooking`` days ahead. The
  connector row is locked first, so of two racing bookings the second waits and then sees
  the first. The reservation fee (the connector's own, else the settings'
  ``reservationFee``) is debited from the wallet in the same transaction: the booking is
  ``confirmed`` with its fee paid, or nothing is written. Lock order: connector, then
  wallet.
- **Start**: from ``START_EARLY`` before the window until its end, the charger starts a
  session on the connector for the driver (RemoteStartTransaction /
  RequestStartTransaction) and the booking links it (``active``).
- **Complete** (``active``, or ``confirmed`` once its window began: the driver charged
  without a session linked): energy and times come from the linked session (which must
  have stopped); without one, from the client's ``energyConsumed``. Either way the cost
  is the pricing engine's (:mod:`evcare.charging.pricing`): the session's own price, or
  the connector's tariff at the window's start for the client's figures (see
  :func:`_cost_of`). The optional rating becomes a station review; once an admin
  approves it, it counts in the station's ``rating`` and ``totalReviews``
  (:mod:`evcare.charging.reviews`). A session the driver starts with a card on the
  booked connector inside the window links itself
  (:func:`evcare.charging.sessions.service.join_booking`).
- **Cancel** (``pending``/``confirmed``): at least ``cancellationWindow`` minutes before
  the start the fee is refunded to the wallet (a credit entry); later it is kept. The
  charger's reservation is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import invoices, wallet
from evcare.billing.wallet_models import EntryKind
from evcare.charging.bookings import events, repository, reservations
from evcare.charging.bookings.documents import BookingView
from evcare.charging.bookings.models import (
    START_EARLY,
    BookingStatus,
    ConnectorBooking,
    ReservationStatus,
)
from evcare.charging.chargers.models import Charger
from evcare.charging.chargers.port import ChargerCommands
from evcare.charging.pricing import service as pricing
from evcare.charging.pricing.tariff import Price
from evcare.charging.reviews import service as reviews
from evcare.charging.sessions import control as sessions_control
from evcare.charging.sessions import repository as sessions_repository
from evcare.charging.sessions.id_tags import app_token
from evcare.charging.sessions.models import SessionStatus
from evcare.charging.stations.models import Connector, StationStatus
from evcare.core.clock import as_utc, utcnow
from evcare.core.errors import BusinessRuleViolation, Conflict, FieldError, Forbidden, NotFound
from evcare.core.events import publish
from evcare.core.money import Money
from evcare.core.pagination import Page, PageParams
from evcare.identity.principal import Principal
from evcare.operations import settings as system_settings

PAST_TOLERANCE = timedelta(minutes=1)
RUNNING_SESSION_HOLD = timedelta(minutes=30)


@dataclass(frozen=True)
class Rating:
    score: int
    review: str | None
    images: list[str]


def _cost_of(priced: Price) -> dict[str, int]:
    """The booking's cost parts of the pricing engine's price: ``energyCost`` is what the
    price charges besides parking, the platform fee and the discount (energy, flat and
    time fees, peak surcharge), so the booking's subtotal and total are the price's plus
    the reservation fee, to the paisa."""
    return {
        "energy_cost_minor": priced.subtotal_minor
        - priced.parking_minor
        - priced.platform_fee_minor
        + priced.discount_minor,
        "parking_fee_minor": priced.parking_minor,
        "platform_fee_minor": priced.platform_fee_minor,
        "discount_minor": priced.discount_minor,
        "gst_minor": priced.gst_minor,
    }


async def view_of(session: AsyncSession, row: ConnectorBooking) -> BookingView:
    refs = await repository.connector_refs(session, [row.connector_id])
    logs = await repository.logs_of(session, [row.id])
    return BookingView(row, refs.get(row.connector_id, ""), logs[row.id])


async def _fresh_view(session: AsyncSession, booking_id: int) -> BookingView:
    await session.flush()
    row = await repository.get(session, booking_id, fresh=True)
    assert row is not None
    return await view_of(session, row)


async def _own(session: AsyncSession, principal: Principal, booking_id: int) -> ConnectorBooking:
    row = await repository.get(session, booking_id)
    if row is None or not (principal.is_admin or row.user_id == principal.user_id):
        raise NotFound(f"Booking {booking_id} not found")
    return row


async def get_booking(session: AsyncSession, principal: Principal, booking_id: int) -> BookingView:
    return await view_of(session, await _own(session, principal, booking_id))


async def list_bookings(
    session: AsyncSession, principal: Principal, params: PageParams, *, status: str | None
) -> Page[BookingView]:
    page = await repository.list_of_user(session, principal.user_id, params, status=status)
    return await _views(session, page)


async def list_every_booking(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    status: str | None = None,
    station_id: int | None = None,
    user_id: int | None = None,
    scheduled_from: datetime | None = None,
    scheduled_to: datetime | None = None,
) -> Page[BookingView]:
    """Every driver's connector bookings, filtered (admins)."""
    if not principal.is_admin:
        raise Forbidden("Admin role required")
    page = await repository.list_every(
        session,
        params,
        status=status,
        station_id=station_id,
        user_id=user_id,
        scheduled_from=scheduled_from,
        scheduled_to=scheduled_to,
    )
    return await _views(session, page)


async def _views(session: AsyncSession, page: Page[ConnectorBooking]) -> Page[BookingView]:
    keys = [row.id for row in page.items]
    refs = await repository.connector_refs(session, [row.connector_id for row in page.items])
    logs = await repository.logs_of(session, keys)
    views = [BookingView(row, refs.get(row.connector_id, ""), logs[row.id]) for row in page.items]
    return Page(views, page.total, page.params)


def _scheduled_error(message: str) -> BusinessRuleViolation:
    return BusinessRuleViolation(message, fields=[FieldError("scheduledTime", message)])


async def create_booking(
    session: AsyncSession,
    principal: Principal,
    *,
    station_id: int,
    connector_ref: str,
    vehicle_id: int,
    scheduled_at: datetime,
    estimated_minutes: int,
) -> BookingView:
    now = utcnow()
    station = await repository.station(session, station_id)
    if station is None or not station.is_verified:  # drivers see verified stations only
        raise NotFound(f"Station {station_id} not found")
    if station.status != StationStatus.ACTIVE:
        raise BusinessRuleViolation(f"Station {station_id} is {station.status}")
    connector = await repository.connector_of_station(session, station.id, connector_ref)
    if connector is None:
        raise NotFound(f"Connector {connector_ref} not found at station {station_id}")
    vehicle = await sessions_repository.get_vehicle(session, vehicle_id)
    if vehicle is None or vehicle.owner_id != principal.user_id:
        raise NotFound(f"Vehicle {vehicle_id} not found")
    settings = await system_settings.current(session)
    if scheduled_at < now - PAST_TOLERANCE:
        raise _scheduled_error("scheduledTime must not be in the past")
    if scheduled_at > now + timedelta(days=settings.max_advance_booking_days):
        raise _scheduled_error(
            f"scheduledTime must be within {settings.max_advance_booking_days} days"
        )
    ends_at = scheduled_at + timedelta(minutes=estimated_minutes)
    await repository.lock_connector(session, connector.id)
    if await repository.overlaps(
        session, connector_id=connector.id, start=scheduled_at, end=ends_at
    ):
        raise Conflict(f"Connector {connector_ref} is already booked for that time")
    if connector.charger_id is not None and scheduled_at < now + RUNNING_SESSION_HOLD:
        running = await sessions_repository.find_active_on_connector(
            session, charger_id=connector.charger_id, connector_id=connector.connector_number or 0
        )
        if running is not None:
            raise Conflict(f"Connector {connector_ref} is charging now")
    fee = connector.reservation_fee_minor or settings.reservation_fee_minor
    row = ConnectorBooking(
        user_id=principal.user_id,
        station_id=station.id,
        connector_id=connector.id,
        vehicle_id=vehicle.id,
        status=BookingStatus.CONFIRMED,
        scheduled_at=scheduled_at,
        ends_at=ends_at,
        estimated_minutes=estimated_minutes,
        currency=connector.currency,
        reservation_fee_minor=fee,
    )
    session.add(row)
    await session.flush()
    row.booking_number = f"BKG-{now.year}-{row.id:06d}"
    repository.add_log(session, row.id, "created", now)
    if fee:
        await wallet.debit(
            session,
            user_id=principal.user_id,
            amount=Money(fee, connector.currency),
            kind=EntryKind.BOOKING_FEE,
            description=f"Reservation fee {row.booking_number}",
            reference=f"booking:{row.id}:fee",
        )
        # The fee taken is invoiced in the same transaction (one ledger, one invoice).
        await invoices.invoice_booking_fee(
            session,
            invoices.BookingFee(
                booking_id=row.id,
                booking_number=row.booking_number,
                user_id=principal.user_id,
                station_id=station.id,
                station_name=station.name,
                currency=connector.currency,
                amount_minor=fee,
            ),
        )
        repository.add_log(session, row.id, "reservation-fee-paid", now)
    repository.add_log(session, row.id, "confirmed", now)
    await publish(session, events.BOOKING_CONFIRMED, events.booking_notice(row, confirmed=True))
    return await _fresh_view(session, row.id)


async def _charger_of(session: AsyncSession, connector: Connector) -> Charger | None:
    if connector.charger_id is None:
        return None
    return await repository.charger(session, connector.charger_id)


async def start_booking(
    session: AsyncSession,
    principal: Principal,
    registry: ChargerCommands,
    *,
    secret: str,
    booking_id: int,
) -> BookingView:
    row = await _own(session, principal, booking_id)
    now = utcnow()
    if row.status != BookingStatus.CONFIRMED:
        raise Conflict(f"Booking {booking_id} is {row.status}")
    if now < as_utc(row.scheduled_at) - START_EARLY:
        raise BusinessRuleViolation(
            f"Booking {booking_id} can be started from {START_EARLY.seconds // 60} minutes "
            "before its scheduled time"
        )
    if now >= as_utc(row.ends_at):
        raise Conflict(f"Booking {booking_id}'s window has ended")
    connector = await repository.connector(session, row.connector_id)
    assert connector is not None
    charger = await _charger_of(session, connector)
    if charger is None or connector.connector_number is None:
        raise Conflict("The booked connector has no charger that can be started remotely")
    await sessions_control.require_credit(session, user_id=row.user_id)
    # Nothing written before the charger answers: its StartTransaction must not wait on us.
    started = await sessions_control.remote_start(
        session,
        registry,
        charger=charger,
        connector_id=connector.connector_number,
        token=app_token(secret, user_id=row.user_id),
        vehicle_id=row.vehicle_id,
    )
    moved = await repository.move(
        session,
        row.id,
        from_status=[BookingStatus.CONFIRMED],
        values={
            "status": BookingStatus.ACTIVE,
            "session_id": started.row.id,
            "started_at": started.row.started_at,
            "initial_soc": started.row.last_soc,
            "updated_at": now,
        },
    )
    if not moved:
        raise Conflict(f"Booking {booking_id} changed meanwhile")
    repository.add_log(session, row.id, "started", now)
    return await _fresh_view(session, row.id)


async def complete_booking(
    session: AsyncSession,
    principal: Principal,
    *,
    booking_id: int,
    energy_wh: int | None,
    final_soc: int | None,
    rating: Rating | None,
) -> BookingView:
    row = await _own(session, principal, booking_id)
    now = utcnow()
    if row.status not in (BookingStatus.ACTIVE, BookingStatus.CONFIRMED):
        raise Conflict(f"Booking {booking_id} is {row.status} and cannot be completed")
    if row.status == BookingStatus.CONFIRMED and now < as_utc(row.scheduled_at) - START_EARLY:
        raise BusinessRuleViolation(f"Booking {booking_id} has not begun yet")
    values: dict[str, object] = {"status": BookingStatus.COMPLETED, "updated_at": now}
    linked = (
        None
        if row.session_id is None
        else await repository.charging_session(session, row.session_id)
    )
    if linked is not None:
        if linked.status == SessionStatus.ACTIVE:
            raise Conflict("The booking's session is still charging: stop it first")
        priced = await pricing.closed_price(session, linked)
        values |= {
            "energy_wh": linked.energy_wh,
            "started_at": linked.started_at,
            "ended_at": linked.ended_at,
            "final_soc": final_soc if final_soc is not None else linked.last_soc,
        }
    else:
        connector = await repository.connector(session, row.connector_id)
        assert connector is not None
        # The client's figures (no linked session), priced by the tariff of the window's
        # start; time-based fees count from then (or now, if earlier) until now.
        started = min(as_utc(row.started_at or row.scheduled_at), now)
        priced = await pricing.price_use(
            session, connector, started_at=started, ended_at=now, energy_wh=energy_wh or 0
        )
        values |= {
            "energy_wh": energy_wh or 0,
            "started_at": started,
            "ended_at": now,
            "final_soc": final_soc,
        }
    values |= _cost_of(priced)
    if rating is not None:
        values |= {
            "rating_score": rating.score,
            "rating_review": rating.review,
            "rating_images": rating.images,
            "rated_at": now,
        }
    if not await repository.move(session, row.id, from_status=[row.status], values=values):
        raise Conflict(f"Booking {booking_id} changed meanwhile")
    if rating is not None:
        await reviews.record_booking_review(
            session,
            station_id=row.station_id,
            user_id=row.user_id,
            booking_id=row.id,
            rating=rating.score,
            review=rating.review,
            images=rating.images,
        )
        repository.add_log(session, row.id, "rated", now)
    repository.add_log(session, row.id, "completed", now)
    return await _fresh_view(session, row.id)


async def cancel_booking(
    session: AsyncSession,
    principal: Principal,
    registry: ChargerCommands,
    *,
    booking_id: int,
    reason: str,
) -> BookingView:
    row = await _own(session, principal, booking_id)
    now = utcnow()
    if row.status not in (BookingStatus.PENDING, BookingStatus.CONFIRMED):
        raise Conflict(f"Booking {booking_id} is {row.status} and cannot be cancelled")
    settings = await system_settings.current(session)
    # The charger first (nothing written yet), then the booking and the money.
    released = await release_on_charger(session, registry, row)
    moved = await repository.move(
        session,
        row.id,
        from_status=[BookingStatus.PENDING, BookingStatus.CONFIRMED],
        values={
            "status": BookingStatus.CANCELLED,
            "cancellation_reason": reason,
            "cancelled_at": now,
            "updated_at": now,
        }
        | ({"reservation_status": ReservationStatus.CANCELLED} if released else {}),
    )
    if not moved:
        raise Conflict(f"Booking {booking_id} changed meanwhile")
    repository.add_log(session, row.id, "cancelled", now)
    await publish(session, events.BOOKING_CANCELLED, events.booking_notice(row, confirmed=False))
    in_window = now <= as_utc(row.scheduled_at) - timedelta(
        minutes=settings.cancellation_window_minutes
    )
    if row.reservation_fee_minor and in_window:
        await wallet.credit(
            session,
            user_id=row.user_id,
            amount=Money(row.reservation_fee_minor, row.currency),
            kind=EntryKind.REFUND,
            description=f"Reservation fee refund {row.booking_number}",
            reference=f"booking:{row.id}:refund",
        )
        await invoices.credit_booking_fee(
            session,
            booking_id=row.id,
            reason=f"Booking {row.booking_number} cancelled in time: reservation fee refunded",
        )
        await repository.move(
            session, row.id, from_status=[BookingStatus.CANCELLED], values={"fee_refunded": True}
        )
        repository.add_log(session, row.id, "reservation-fee-refunded", now)
    elif row.reservation_fee_minor:
        repository.add_log(session, row.id, "reservation-fee-kept", now)
    return await _fresh_view(session, row.id)


async def release_on_charger(
    session: AsyncSession, registry: ChargerCommands, row: ConnectorBooking
) -> bool:
    """CancelReservation when the charger holds the connector for ``row``; whether the
    charger was told (an unreachable charger lets the reservation expire by itself)."""
    if row.reservation_status != ReservationStatus.ACCEPTED:
        return False
    connector = await repository.connector(session, row.connector_id)
    charger = None if connector is None else await _charger_of(session, connector)
    if charger is None:
        return False
    return await reservations.cancel(registry, booking=row, charger=charger) is not None
