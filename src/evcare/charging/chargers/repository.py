"""Every query on chargers and their connectors; who may see a charger follows its station.

Chargers on soft-deleted stations are invisible; drivers never see archived chargers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from evcare.charging.chargers.models import Charger, ChargerStatus, ConnectorStatusChange
from evcare.charging.stations.models import (
    Connector,
    ConnectorStatus,
    Station,
)
from evcare.charging.stations.repository import is_operator, page_of, readable_stations
from evcare.core.pagination import Page, PageParams
from evcare.identity.principal import Principal

# Connector statuses that mean a vehicle is plugged in or the outlet is spoken for.
IN_USE_STATUSES = (
    ConnectorStatus.PREPARING,
    ConnectorStatus.CHARGING,
    ConnectorStatus.SUSPENDED_EV,
    ConnectorStatus.SUSPENDED_EVSE,
    ConnectorStatus.FINISHING,
    ConnectorStatus.OCCUPIED,
)


def readable_chargers(principal: Principal, *, include_archived: bool) -> ColumnElement[bool]:
    """Which chargers ``principal`` may see: those on readable stations; drivers never
    see archived ones."""
    clauses = [readable_stations(principal)]
    if not include_archived or not (principal.is_admin or is_operator(principal)):
        clauses.append(Charger.archived_at.is_(None))
    return and_(*clauses)


def _charger_with_connectors() -> Select[Charger]:
    return (
        select(Charger)
        .join(Station, Station.id == Charger.station_id)
        .options(selectinload(Charger.connectors), selectinload(Charger.station))
        .execution_options(populate_existing=True)
    )


async def get_charger(
    session: AsyncSession,
    charger_id: int | None = None,
    *,
    charge_point_id: str | None = None,
    visible_to: Principal,
    include_archived: bool = True,
) -> Charger | None:
    query = _charger_with_connectors().where(
        readable_chargers(visible_to, include_archived=include_archived)
    )
    if charger_id is not None:
        query = query.where(Charger.id == charger_id)
    if charge_point_id is not None:
        query = query.where(Charger.charge_point_id == charge_point_id)
    return (await session.scalars(query)).one_or_none()


async def charge_point_id_taken(session: AsyncSession, charge_point_id: str) -> bool:
    query = select(Charger.id).where(func.lower(Charger.charge_point_id) == charge_point_id.lower())
    return (await session.scalar(query.limit(1))) is not None


def _charger_filters(
    visible_to: Principal,
    *,
    station_id: int | None,
    status: str | None = None,
    manufacturer: str | None = None,
) -> ColumnElement[bool]:
    condition = readable_chargers(visible_to, include_archived=False)
    if station_id is not None:
        condition = and_(condition, Charger.station_id == station_id)
    if status:
        condition = and_(condition, Charger.status == status)
    if manufacturer:
        condition = and_(condition, func.lower(Charger.manufacturer) == manufacturer.lower())
    return condition


async def list_chargers(
    session: AsyncSession,
    params: PageParams,
    *,
    visible_to: Principal,
    station_id: int | None = None,
    status: str | None = None,
    manufacturer: str | None = None,
) -> Page[Charger]:
    condition = _charger_filters(
        visible_to, station_id=station_id, status=status, manufacturer=manufacturer
    )
    total = (
        await session.scalar(
            select(func.count(Charger.id))
            .join(Station, Station.id == Charger.station_id)
            .where(condition)
        )
        or 0
    )
    query = _charger_with_connectors().where(condition).order_by(Charger.id)
    return await page_of(session, query, total=total, params=params)


@dataclass(frozen=True)
class ChargerCounts:
    total: int
    online: int
    offline: int
    faulted: int
    connectors: int
    connectors_in_use: int


async def charger_counts(
    session: AsyncSession, *, visible_to: Principal, station_id: int | None = None
) -> ChargerCounts:
    condition = _charger_filters(visible_to, station_id=station_id)

    def count_status(status: str) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((Charger.status == status, 1), else_=0)), 0)

    totals = (
        await session.execute(
            select(
                func.count(Charger.id),
                count_status(ChargerStatus.ONLINE),
                count_status(ChargerStatus.OFFLINE),
                count_status(ChargerStatus.FAULTED),
            )
            .join(Station, Station.id == Charger.station_id)
            .where(condition)
        )
    ).one()
    # A connector of an offline charger is not in use as far as anyone knows: what it last
    # reported (Charging) is a ghost once the charger vanished.
    in_use_now = and_(
        Connector.status.in_(IN_USE_STATUSES), Charger.status != ChargerStatus.OFFLINE
    )
    in_use = func.coalesce(func.sum(case((in_use_now, 1), else_=0)), 0)
    connectors = (
        await session.execute(
            select(func.count(Connector.id), in_use)
            .join(Charger, Charger.id == Connector.charger_id)
            .join(Station, Station.id == Charger.station_id)
            .where(condition)
        )
    ).one()
    return ChargerCounts(
        total=int(totals[0]),
        online=int(totals[1]),
        offline=int(totals[2]),
        faulted=int(totals[3]),
        connectors=int(connectors[0]),
        connectors_in_use=int(connectors[1]),
    )


# -- what a connected charger's own messages read and write (no principal: the charger) --


async def live_charger_for_login(
    session: AsyncSession, charge_point_id: str
) -> tuple[Charger, int] | None:
    """The live (not archived, station not deleted) charger and its station's owner id."""
    row = (
        await session.execute(
            select(Charger, Station.owner_id)
            .join(Station, Station.id == Charger.station_id)
            .where(Charger.charge_point_id == charge_point_id)
            .where(Charger.archived_at.is_(None))
            .where(Station.deleted_at.is_(None))
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1])


async def charger_row(session: AsyncSession, charger_id: int) -> Charger:
    return (await session.scalars(select(Charger).where(Charger.id == charger_id))).one()


async def charger_rows(session: AsyncSession, charger_ids: list[int]) -> Sequence[Charger]:
    return (await session.scalars(select(Charger).where(Charger.id.in_(charger_ids)))).all()


async def connectors_of_chargers(
    session: AsyncSession, charger_ids: list[int]
) -> Sequence[Connector]:
    """The chargers' connectors, by charger then connector number."""
    return (
        await session.scalars(
            select(Connector)
            .where(Connector.charger_id.in_(charger_ids))
            .order_by(Connector.charger_id, Connector.connector_number)
        )
    ).all()


async def touch_heartbeats_unless_offline(
    session: AsyncSession, charger_ids: list[int], *, at: datetime, offline: str
) -> set[int]:
    """One UPDATE of last_heartbeat_at; the chargers it touched (not those marked
    ``offline``)."""
    touched = await session.scalars(
        update(Charger)
        .where(Charger.id.in_(charger_ids))
        .where(Charger.status != offline)
        .values(last_heartbeat_at=at)
        .returning(Charger.id)
        .execution_options(synchronize_session=False)
    )
    return set(touched.all())


async def replace_password_hash(
    session: AsyncSession, charger_id: int, *, old_hash: str, new_hash: str
) -> None:
    await session.execute(
        update(Charger)
        .where(Charger.id == charger_id)
        .where(Charger.password_hash == old_hash)
        .values(password_hash=new_hash)
        .execution_options(synchronize_session=False)
    )


async def set_chargers_power(session: AsyncSession, power_w: dict[int, int]) -> None:
    """Each charger's current power (by id), one executemany UPDATE."""
    if power_w:
        await session.execute(
            update(Charger),
            [{"id": charger_id, "current_power_w": watts} for charger_id, watts in power_w.items()],
        )


async def charger_connector(
    session: AsyncSession, charger_id: int, connector_number: int
) -> Connector | None:
    return await session.scalar(
        select(Connector)
        .where(Connector.charger_id == charger_id)
        .where(Connector.connector_number == connector_number)
    )


async def first_charger_connector(session: AsyncSession, charger_id: int) -> Connector | None:
    return await session.scalar(
        select(Connector).where(Connector.charger_id == charger_id).order_by(Connector.id)
    )


# The status the history records for a charger's connectors while its socket is closed:
# not a connector state a charger reports, so it is never counted as available.
OFFLINE_STATUS = "Offline"


def record_status_change(session: AsyncSession, connector: Connector, *, at: datetime) -> None:
    """Keep the connector's newly reported status in its history."""
    assert connector.charger_id is not None
    session.add(
        ConnectorStatusChange(
            connector_id=connector.id,
            charger_id=connector.charger_id,
            status=connector.status,
            error_code=connector.error_code,
            at=at,
        )
    )


async def record_connectors_offline(
    session: AsyncSession, charger_id: int, *, at: datetime
) -> None:
    """The charger's socket closed: each of its connectors is offline from ``at`` (one
    INSERT ... SELECT)."""
    await session.execute(
        insert(ConnectorStatusChange).from_select(
            ["connector_id", "charger_id", "status", "at"],
            select(
                Connector.id,
                Connector.charger_id,
                literal(OFFLINE_STATUS),
                literal(at, ConnectorStatusChange.at.type),
            ).where(Connector.charger_id == charger_id),
        )
    )
