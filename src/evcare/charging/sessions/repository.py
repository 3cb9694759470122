"""Every query on charging sessions and meter values; who-sees-what in one place (charging
cards: :mod:`evcare.charging.sessions.id_tag_repository`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.bookings.models import BookingLog, BookingStatus, ConnectorBooking
from evcare.charging.chargers.models import Charger, ChargerStatus
from evcare.charging.chargers.ocpp_state import ChargerRef
from evcare.charging.sessions.models import (
    ChargingSession,
    MeterValue,
    PaymentStatus,
    SessionStatus,
)
from evcare.charging.sessions.records import SessionView
from evcare.charging.stations.models import Connector, Station
from evcare.charging.stations.repository import is_operator, operated_stations
from evcare.core.clock import as_utc, utcnow
from evcare.core.pagination import Page, PageParams
from evcare.identity.models import OrganizationMember, User
from evcare.identity.principal import Principal
from evcare.vehicles.fleet_models import (
    ChargingPaidBy,
    FleetSettings,
    OdometerReading,
    VehicleDriver,
)
from evcare.vehicles.models import Vehicle


def _viewable(principal: Principal | None) -> ColumnElement[bool] | None:
    """Admins see all sessions, operators those on the stations they operate, drivers
    their own (``None``: the caller checked access itself, e.g. to a vehicle it owns)."""
    if principal is None or principal.is_admin:
        return None
    if is_operator(principal):
        return operated_stations(principal)
    return ChargingSession.user_id == principal.user_id


def _views() -> Any:
    return (
        select(
            ChargingSession,
            Charger.charge_point_id,
            Station.owner_id,
            User.first_name,
            User.last_name,
            Vehicle.make,
            Vehicle.model,
            Vehicle.registration_number,
        )
        .join(Charger, Charger.id == ChargingSession.charger_id)
        .join(Station, Station.id == Charger.station_id)
        .outerjoin(User, User.id == ChargingSession.user_id)
        .outerjoin(Vehicle, Vehicle.id == ChargingSession.vehicle_id)
    )


def _view(row: Any) -> SessionView:
    session, charge_point_id, owner_id, first, last, make, model, registration = row
    user_name = f"{first} {last}".strip() if first is not None else None
    vehicle_info = None
    if make is not None:
        vehicle_info = f"{make} {model}" + (f" ({registration})" if registration else "")
    return SessionView(session, charge_point_id, owner_id, user_name, vehicle_info)


def _scoped(query: Any, principal: Principal | None) -> Any:
    condition = _viewable(principal)
    return query if condition is None else query.where(condition)


def _filtered(
    query: Any,
    *,
    started_from: datetime | None,
    started_until: datetime | None,
    vehicle_id: int | None,
    user_id: int | None,
) -> Any:
    if started_from is not None:
        query = query.where(ChargingSession.started_at >= started_from)
    if started_until is not None:
        query = query.where(ChargingSession.started_at <= started_until)
    if vehicle_id is not None:
        query = query.where(ChargingSession.vehicle_id == vehicle_id)
    if user_id is not None:
        query = query.where(ChargingSession.user_id == user_id)
    return query


async def get_view(session: AsyncSession, session_id: int, *, fresh: bool = False) -> SessionView:
    query = _views().where(ChargingSession.id == session_id)
    if fresh:
        query = query.execution_options(populate_existing=True)
    return _view((await session.execute(query)).one())


async def find_view(
    session: AsyncSession, principal: Principal, session_id: int, *, fresh: bool = False
) -> SessionView | None:
    query = _scoped(_views().where(ChargingSession.id == session_id), principal)
    if fresh:
        query = query.execution_options(populate_existing=True)
    row = (await session.execute(query)).one_or_none()
    return None if row is None else _view(row)


async def list_views(
    session: AsyncSession,
    principal: Principal | None,
    params: PageParams,
    *,
    status: str | None = None,
    started_from: datetime | None = None,
    started_until: datetime | None = None,
    vehicle_id: int | None = None,
    user_id: int | None = None,
) -> Page[SessionView]:
    query = _filtered(
        _scoped(_views(), principal),
        started_from=started_from,
        started_until=started_until,
        vehicle_id=vehicle_id,
        user_id=user_id,
    )
    if status:
        query = query.where(ChargingSession.status == status)
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = await session.execute(
        query.order_by(ChargingSession.started_at.desc(), ChargingSession.id.desc())
        .offset(params.offset)
        .limit(params.limit)
    )
    return Page([_view(row) for row in rows], total or 0, params)


async def totals(
    session: AsyncSession,
    principal: Principal | None,
    *,
    started_from: datetime | None = None,
    started_until: datetime | None = None,
    vehicle_id: int | None = None,
    user_id: int | None = None,
) -> tuple[int, int, int, float]:
    """(sessions, energy Wh, cost minor, total seconds) over closed sessions in the filter."""
    query: Any = (
        select(
            func.count(ChargingSession.id),
            func.coalesce(func.sum(ChargingSession.energy_wh), 0),
            func.coalesce(func.sum(ChargingSession.cost_minor), 0),
        )
        .select_from(ChargingSession)
        .join(Charger, Charger.id == ChargingSession.charger_id)
        .join(Station, Station.id == Charger.station_id)
        .where(ChargingSession.status != SessionStatus.ACTIVE)
    )
    query = _filtered(
        _scoped(query, principal),
        started_from=started_from,
        started_until=started_until,
        vehicle_id=vehicle_id,
        user_id=user_id,
    )
    count, energy, cost = (await session.execute(query)).one()
    # Durations are summed in Python over two columns: portable across both databases.
    spans = await session.execute(
        query.with_only_columns(ChargingSession.started_at, ChargingSession.ended_at)
    )
    seconds = sum(
        (end - start).total_seconds() for start, end in spans if end is not None and end > start
    )
    return int(count), int(energy), int(cost), seconds


async def energy_by_vehicle(
    session: AsyncSession, vehicle_ids: list[int]
) -> dict[int, tuple[int, int, int]]:
    """Per vehicle over its closed sessions: (sessions, Wh, Wh of the sessions that
    ended after its latest odometer reading, or all when it has none)."""
    if not vehicle_ids:
        return {}
    latest = (
        select(func.max(OdometerReading.recorded_at))
        .where(OdometerReading.vehicle_id == ChargingSession.vehicle_id)
        .correlate(ChargingSession)
        .scalar_subquery()
    )
    since = case(
        (or_(latest.is_(None), ChargingSession.ended_at > latest), ChargingSession.energy_wh),
        else_=0,
    )
    query = (
        select(
            ChargingSession.vehicle_id,
            func.count(ChargingSession.id),
            func.coalesce(func.sum(ChargingSession.energy_wh), 0),
            func.coalesce(func.sum(since), 0),
        )
        .where(ChargingSession.vehicle_id.in_(vehicle_ids))
        .where(ChargingSession.status != SessionStatus.ACTIVE)
        .group_by(ChargingSession.vehicle_id)
    )
    rows = await session.execute(query)
    return {int(v): (int(n), int(wh), int(after)) for v, n, wh, after in rows.all()}


async def find_by_transaction(
    session: AsyncSession, *, charger_id: int, transaction_id: str
) -> ChargingSession | None:
    return await session.scalar(
        select(ChargingSession)
        .where(ChargingSession.charger_id == charger_id)
        .where(ChargingSession.transaction_id == transaction_id)
        .with_for_update()
    )


async def running_on_chargers(
    session: AsyncSession, principal: Principal, charger_ids: list[int]
) -> dict[tuple[int, int], int]:
    """The active session the principal may see on each (charger id, connector number)."""
    if not charger_ids:
        return {}
    query = _scoped(
        select(ChargingSession.charger_id, ChargingSession.connector_id, ChargingSession.id)
        .join(Charger, Charger.id == ChargingSession.charger_id)
        .join(Station, Station.id == Charger.station_id)
        .where(ChargingSession.charger_id.in_(charger_ids))
        .where(ChargingSession.status == SessionStatus.ACTIVE)
        .order_by(ChargingSession.started_at),  # the newest one wins below
        principal,
    )
    rows = await session.execute(query)
    return {(charger_id, connector): key for charger_id, connector, key in rows}


async def sessions_for_reports(
    session: AsyncSession, *, charger_ids: set[int], transaction_ids: set[str]
) -> Sequence[ChargingSession]:
    """The chargers' active sessions and those with one of the transaction ids (locked,
    in id order so that concurrent writers take the locks in one order)."""
    if not charger_ids:
        return []
    wanted = ChargingSession.status == SessionStatus.ACTIVE
    if transaction_ids:
        wanted = or_(wanted, ChargingSession.transaction_id.in_(transaction_ids))
    rows = await session.scalars(
        select(ChargingSession)
        .where(ChargingSession.charger_id.in_(charger_ids))
        .where(wanted)
        .order_by(ChargingSession.id)
        .with_for_update()
    )
    return rows.all()


async def newest_readings_at(session: AsyncSession, session_ids: list[int]) -> dict[int, datetime]:
    """The newest stored reading's time of each session that has one."""
    if not session_ids:
        return {}
    rows = await session.execute(
        select(MeterValue.session_id, func.max(MeterValue.measured_at))
        .where(MeterValue.session_id.in_(session_ids))
        .group_by(MeterValue.session_id)
    )
    return {session_id: as_utc(newest) for session_id, newest in rows}


async def power_readings(
    session: AsyncSession, session_id: int, *, limit: int
) -> list[tuple[datetime, int]]:
    """The newest ``limit`` power samples (W) of a session, oldest first."""
    rows = await session.execute(
        select(MeterValue.measured_at, MeterValue.power_w)
        .where(MeterValue.session_id == session_id, MeterValue.power_w.is_not(None))
        .order_by(MeterValue.measured_at.desc(), MeterValue.id.desc())
        .limit(limit)
    )
    return [(as_utc(at), watts) for at, watts in reversed(rows.all()) if watts is not None]


async def find_replayed_start(
    session: AsyncSession,
    *,
    charger_id: int,
    connector_id: int,
    id_tag: str,
    started_at: datetime,
    meter_start_wh: int,
) -> ChargingSession | None:
    """A 1.6 StartTransaction we already recorded (the charger resent it after a drop)."""
    return await session.scalar(
        select(ChargingSession)
        .where(ChargingSession.charger_id == charger_id)
        .where(ChargingSession.connector_id == connector_id)
        .where(ChargingSession.id_tag == id_tag)
        .where(ChargingSession.started_at == started_at)
        .where(ChargingSession.meter_start_wh == meter_start_wh)
    )


async def find_active_on_connector(
    session: AsyncSession, *, charger_id: int, connector_id: int
) -> ChargingSession | None:
    return await session.scalar(
        select(ChargingSession)
        .where(ChargingSession.charger_id == charger_id)
        .where(ChargingSession.connector_id == connector_id)
        .where(ChargingSession.status == SessionStatus.ACTIVE)
        .order_by(ChargingSession.started_at.desc())
        .limit(1)
    )


async def active_on_chargers(
    session: AsyncSession, charger_ids: list[int], *, uninterrupted: bool = False
) -> Sequence[ChargingSession]:
    """The chargers' active sessions (``uninterrupted``: only those not marked
    interrupted), locked, in id order."""
    if not charger_ids:
        return []
    query = (
        select(ChargingSession)
        .where(ChargingSession.charger_id.in_(charger_ids))
        .where(ChargingSession.status == SessionStatus.ACTIVE)
    )
    if uninterrupted:
        query = query.where(ChargingSession.interrupted_at.is_(None))
    return (await session.scalars(query.order_by(ChargingSession.id).with_for_update())).all()


async def interrupted_on_chargers(
    session: AsyncSession, charger_ids: list[int]
) -> Sequence[ChargingSession]:
    """The chargers' active sessions marked interrupted, locked, in id order."""
    if not charger_ids:
        return []
    return (
        await session.scalars(
            select(ChargingSession)
            .where(ChargingSession.charger_id.in_(charger_ids))
            .where(ChargingSession.status == SessionStatus.ACTIVE)
            .where(ChargingSession.interrupted_at.is_not(None))
            .order_by(ChargingSession.id)
            .with_for_update()
        )
    ).all()


async def silent_chargers(
    session: AsyncSession, *, silent_since: datetime
) -> list[tuple[ChargerRef, Charger]]:
    """Live chargers last heard from before ``silent_since`` that are not yet marked
    Offline, or are Offline with an active session not yet marked interrupted."""
    open_session = (
        select(ChargingSession.id)
        .where(ChargingSession.charger_id == Charger.id)
        .where(ChargingSession.status == SessionStatus.ACTIVE)
        .where(ChargingSession.interrupted_at.is_(None))
        .exists()
    )
    rows = await session.execute(
        select(Charger, Station.owner_id)
        .join(Station, Station.id == Charger.station_id)
        .where(Charger.archived_at.is_(None))
        .where(Charger.last_heartbeat_at < silent_since)
        .where(or_(Charger.status != ChargerStatus.OFFLINE, open_session))
        .order_by(Charger.id)
    )
    return [
        (ChargerRef(row.id, row.charge_point_id, row.station_id, owner_id), row)
        for row, owner_id in rows
    ]


async def find_started_since(
    session: AsyncSession,
    *,
    charger_id: int,
    connector_id: int | None,
    id_tag: str,
    since: datetime,
    remote_start_id: int | None,
) -> ChargingSession | None:
    """The session a remote start produced (matched by remoteStartId or tag + connector)."""
    query = (
        select(ChargingSession)
        .where(ChargingSession.charger_id == charger_id)
        .where(ChargingSession.created_at >= since)
        .execution_options(populate_existing=True)
    )
    if remote_start_id is not None:
        query = query.where(ChargingSession.remote_start_id == remote_start_id)
    else:
        query = query.where(ChargingSession.id_tag == id_tag)
        if connector_id is not None:
            query = query.where(ChargingSession.connector_id == connector_id)
    return await session.scalar(query.order_by(ChargingSession.id.desc()).limit(1))


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.scalar(select(User).where(User.id == user_id))


async def get_vehicle(session: AsyncSession, vehicle_id: int) -> Vehicle | None:
    return await session.scalar(select(Vehicle).where(Vehicle.id == vehicle_id))


async def get_default_vehicle(session: AsyncSession, user_id: int) -> Vehicle | None:
    """The driver's default vehicle; a driver with none of their own who is assigned
    exactly one fleet vehicle charges that one."""
    own = await session.scalar(
        select(Vehicle).where(Vehicle.owner_id == user_id).where(Vehicle.is_default.is_(True))
    )
    if own is not None:
        return own
    assigned = (
        await session.scalars(
            select(Vehicle)
            .join(VehicleDriver, VehicleDriver.vehicle_id == Vehicle.id)
            .where(VehicleDriver.user_id == user_id)
            .limit(2)
        )
    ).all()
    return assigned[0] if len(assigned) == 1 else None


async def drives(session: AsyncSession, *, vehicle_id: int, user_id: int) -> bool:
    """Whether the user is a driver assigned to this (fleet) vehicle."""
    query = select(VehicleDriver.vehicle_id).where(
        VehicleDriver.vehicle_id == vehicle_id, VehicleDriver.user_id == user_id
    )
    return (await session.scalar(query)) is not None


async def fleet_payer(
    session: AsyncSession, *, vehicle_id: int | None, user_id: int | None
) -> int | None:
    """Whose wallet pays an assigned driver's charge of a fleet vehicle whose
    organization pays its charging (the fleet's payer account); None: the driver's."""
    if vehicle_id is None or user_id is None:
        return None
    query = (
        select(FleetSettings.payer_user_id)
        .join(Vehicle, Vehicle.organization_id == FleetSettings.organization_id)
        .join(
            VehicleDriver,
            (VehicleDriver.vehicle_id == Vehicle.id) & (VehicleDriver.user_id == user_id),
        )
        # The payer must still be one of the organization's accounts (else the driver pays).
        .join(
            OrganizationMember,
            (OrganizationMember.user_id == FleetSettings.payer_user_id)
            & (OrganizationMember.organization_id == FleetSettings.organization_id),
        )
        .where(Vehicle.id == vehicle_id)
        .where(FleetSettings.charging_paid_by == ChargingPaidBy.ORGANIZATION)
    )
    return await session.scalar(query)


async def join_booking(session: AsyncSession, row: ChargingSession, *, early: timedelta) -> bool:
    """Make the driver's confirmed booking of ``row``'s connector whose window holds its
    start (from ``early`` before) ``active`` with ``row`` linked, and log it; whether
    one did (one conditional UPDATE: a booking joins one session)."""
    started = as_utc(row.started_at)
    booked_connector = select(Connector.id).where(
        Connector.charger_id == row.charger_id, Connector.connector_number == row.connector_id
    )
    joined = (
        await session.execute(
            update(ConnectorBooking)
            .where(
                ConnectorBooking.id
                == select(ConnectorBooking.id)
                .where(
                    ConnectorBooking.connector_id.in_(booked_connector),
                    ConnectorBooking.user_id == row.user_id,
                    ConnectorBooking.status == BookingStatus.CONFIRMED,
                    ConnectorBooking.scheduled_at <= started + early,
                    ConnectorBooking.ends_at > started,
                )
                .order_by(ConnectorBooking.scheduled_at)
                .limit(1)
                .scalar_subquery(),
                ConnectorBooking.status == BookingStatus.CONFIRMED,
            )
            .values(
                status=BookingStatus.ACTIVE,
                session_id=row.id,
                started_at=row.started_at,
                initial_soc=row.last_soc,
                updated_at=utcnow(),
            )
            .returning(ConnectorBooking.id)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one_or_none()
    if joined is None:
        return False
    session.add(BookingLog(booking_id=joined, event="started", at=utcnow()))
    return True


# -- paying for a session ------------------------------------------------------------------


async def mark_paid(
    session: AsyncSession, *, session_id: int, user_id: int
) -> tuple[int | None, str] | None:
    """One conditional UPDATE: the user's completed, unpaid session becomes paid;
    (cost, currency), or None when no row matched."""
    row = (
        await session.execute(
            update(ChargingSession)
            .where(
                ChargingSession.id == session_id,
                ChargingSession.user_id == user_id,
                ChargingSession.status == SessionStatus.COMPLETED,
                ChargingSession.payment_status != PaymentStatus.PAID,
            )
            .values(payment_status=PaymentStatus.PAID, updated_at=utcnow())
            .returning(ChargingSession.cost_minor, ChargingSession.currency)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    return None if row is None else (row[0], str(row[1]))


async def payment_state(
    session: AsyncSession, *, session_id: int, user_id: int
) -> tuple[str, str] | None:
    """(status, payment status) of the user's session; None when it is not theirs."""
    row = (
        await session.execute(
            select(ChargingSession.status, ChargingSession.payment_status).where(
                ChargingSession.id == session_id, ChargingSession.user_id == user_id
            )
        )
    ).one_or_none()
    return None if row is None else (str(row[0]), str(row[1]))
