"""Queries of connector bookings. Only ``flush()``: the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.bookings.models import (
    HOLDING,
    BookingLog,
    BookingStatus,
    ConnectorBooking,
    ReservationStatus,
)
from evcare.charging.chargers.models import Charger
from evcare.charging.sessions.models import ChargingSession
from evcare.charging.stations.models import Connector, Station
from evcare.core.pagination import Page, PageParams


async def lock_connector(session: AsyncSession, connector_id: int) -> None:
    """Serialize bookings of one connector until commit: a no-op UPDATE takes the row
    lock on PostgreSQL (a racing booking waits here, then sees the winner's row) and the
    write lock on SQLite (one writer at a time)."""
    await session.execute(
        update(Connector)
        .where(Connector.id == connector_id)
        .values(updated_at=Connector.updated_at)
        .execution_options(synchronize_session=False)
    )


async def overlaps(
    session: AsyncSession, *, connector_id: int, start: datetime, end: datetime
) -> bool:
    """Whether a booking that holds the connector meets ``[start, end)``."""
    query = select(
        exists().where(
            ConnectorBooking.connector_id == connector_id,
            ConnectorBooking.status.in_(HOLDING),
            ConnectorBooking.scheduled_at < end,
            ConnectorBooking.ends_at > start,
        )
    )
    return bool(await session.scalar(query))


async def station(session: AsyncSession, station_id: int) -> Station | None:
    return await session.scalar(
        select(Station).where(Station.id == station_id, Station.deleted_at.is_(None))
    )


async def connector_of_station(
    session: AsyncSession, station_id: int, connector_ref: str
) -> Connector | None:
    return await session.scalar(
        select(Connector).where(
            Connector.station_id == station_id, Connector.connector_id == connector_ref
        )
    )


async def connector(session: AsyncSession, connector_id: int) -> Connector | None:
    return await session.get(Connector, connector_id)


async def charger(session: AsyncSession, charger_id: int) -> Charger | None:
    return await session.get(Charger, charger_id)


async def charging_session(session: AsyncSession, session_id: int) -> ChargingSession | None:
    return await session.get(ChargingSession, session_id, populate_existing=True)


async def get(
    session: AsyncSession, booking_id: int, *, fresh: bool = False
) -> ConnectorBooking | None:
    return await session.get(ConnectorBooking, booking_id, populate_existing=fresh)


async def logs_of(session: AsyncSession, booking_ids: Sequence[int]) -> dict[int, list[BookingLog]]:
    rows = await session.scalars(
        select(BookingLog)
        .where(BookingLog.booking_id.in_(booking_ids))
        .order_by(BookingLog.booking_id, BookingLog.id)
    )
    found: dict[int, list[BookingLog]] = {key: [] for key in booking_ids}
    for row in rows:
        found[row.booking_id].append(row)
    return found


async def connector_refs(session: AsyncSession, connector_ids: Sequence[int]) -> dict[int, str]:
    """The station-scoped ``connectorId`` of each connector key."""
    rows = await session.execute(
        select(Connector.id, Connector.connector_id).where(Connector.id.in_(connector_ids))
    )
    return {key: ref for key, ref in rows.all()}


async def list_of_user(
    session: AsyncSession, user_id: int, params: PageParams, *, status: str | None
) -> Page[ConnectorBooking]:
    condition = [ConnectorBooking.user_id == user_id]
    if status is not None:
        condition.append(ConnectorBooking.status == status)
    return await _page(session, condition, params)


async def _page(
    session: AsyncSession, condition: Sequence[ColumnElement[bool]], params: PageParams
) -> Page[ConnectorBooking]:
    """One page of the bookings matching ``condition``, latest scheduled first."""
    total = await session.scalar(
        select(func.count()).select_from(ConnectorBooking).where(*condition)
    )
    rows = await session.scalars(
        select(ConnectorBooking)
        .where(*condition)
        .order_by(ConnectorBooking.scheduled_at.desc(), ConnectorBooking.id.desc())
        .offset(params.offset)
        .limit(params.limit)
    )
    return Page(list(rows), int(total or 0), params)


async def list_every(
    session: AsyncSession,
    params: PageParams,
    *,
    status: str | None = None,
    station_id: int | None = None,
    user_id: int | None = None,
    scheduled_from: datetime | None = None,
    scheduled_to: datetime | None = None,
) -> Page[ConnectorBooking]:
    """Every connector booking matching the filters, latest scheduled first (admins)."""
    condition: list[ColumnElement[bool]] = []
    if status is not None:
        condition.append(ConnectorBooking.status == status)
    if station_id is not None:
        condition.append(ConnectorBooking.station_id == station_id)
    if user_id is not None:
        condition.append(ConnectorBooking.user_id == user_id)
    if scheduled_from is not None:
        condition.append(ConnectorBooking.scheduled_at >= scheduled_from)
    if scheduled_to is not None:
        condition.append(ConnectorBooking.scheduled_at < scheduled_to)
    return await _page(session, condition, params)


def add_log(session: AsyncSession, booking_id: int, event: str, at: datetime) -> None:
    session.add(BookingLog(booking_id=booking_id, event=event, at=at))


async def move(
    session: AsyncSession,
    booking_id: int,
    *,
    from_status: Sequence[str],
    values: dict[str, Any],
) -> bool:
    """Change a booking only if it is still in one of ``from_status`` (one conditional
    UPDATE: of two racing changes the second matches nothing)."""
    result = await session.execute(
        update(ConnectorBooking)
        .where(ConnectorBooking.id == booking_id, ConnectorBooking.status.in_(from_status))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def claim_reminders(session: AsyncSession, *, now: datetime, due: datetime) -> list[int]:
    """Mark every confirmed booking starting in ``(now, due]`` whose reminder is unsent as
    reminded, in one conditional UPDATE; the ids this statement (and no other) marked."""
    result = await session.execute(
        update(ConnectorBooking)
        .where(
            ConnectorBooking.status == BookingStatus.CONFIRMED,
            ConnectorBooking.reminder_sent_at.is_(None),
            ConnectorBooking.scheduled_at > now,
            ConnectorBooking.scheduled_at <= due,
        )
        .values(reminder_sent_at=now)
        .returning(ConnectorBooking.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars())


async def claim_reservations(
    session: AsyncSession, *, now: datetime, due: datetime, lease_until: datetime
) -> list[int]:
    """Lease the confirmed bookings whose window begins by ``due`` and whose charger has
    not been asked to reserve yet (nobody else's lease running); the ids leased."""
    on_a_charger = select(Connector.id).where(Connector.charger_id.is_not(None))
    result = await session.execute(
        update(ConnectorBooking)
        .where(
            ConnectorBooking.status == BookingStatus.CONFIRMED,
            ConnectorBooking.reservation_status.is_(None),
            ConnectorBooking.scheduled_at <= due,
            ConnectorBooking.ends_at > now,
            ConnectorBooking.connector_id.in_(on_a_charger),
            or_(
                ConnectorBooking.reservation_lease_until.is_(None),
                ConnectorBooking.reservation_lease_until < now,
            ),
        )
        .values(reservation_lease_until=lease_until)
        .returning(ConnectorBooking.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars())


async def claim_no_shows(
    session: AsyncSession, *, now: datetime, started_before: datetime, reason: str
) -> list[tuple[int, str | None]]:
    """Cancel every confirmed booking not started by ``started_before`` as a no-show."""
    result = await session.execute(
        update(ConnectorBooking)
        .where(
            and_(
                ConnectorBooking.status == BookingStatus.CONFIRMED,
                ConnectorBooking.scheduled_at < started_before,
            )
        )
        .values(
            status=BookingStatus.CANCELLED,
            no_show=True,
            cancelled_at=now,
            cancellation_reason=reason,
            updated_at=now,
        )
        .returning(ConnectorBooking.id, ConnectorBooking.reservation_status)
        .execution_options(synchronize_session=False)
    )
    return [(key, status) for key, status in result.all()]


async def set_reservation(
    session: AsyncSession, booking_id: int, status: ReservationStatus, *, only_if_confirmed: bool
) -> bool:
    query = update(ConnectorBooking).where(ConnectorBooking.id == booking_id)
    if only_if_confirmed:
        query = query.where(ConnectorBooking.status == BookingStatus.CONFIRMED)
    result = await session.execute(
        query.values(reservation_status=status, reservation_lease_until=None).execution_options(
            synchronize_session=False
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
