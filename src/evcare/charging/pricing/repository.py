"""Pricing rules in the database: scope look-ups, overlaps, pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.chargers.models import Charger
from evcare.charging.pricing.models import PricingRule
from evcare.charging.sessions.models import MeterValue
from evcare.charging.stations.models import Connector, Station
from evcare.core.pagination import Page, PageParams


def _valid_at(at: datetime) -> ColumnElement[bool]:
    return and_(
        PricingRule.is_active.is_(True),
        or_(PricingRule.valid_from.is_(None), PricingRule.valid_from <= at),
        or_(PricingRule.valid_to.is_(None), PricingRule.valid_to > at),
    )


def _scope(station_id: int | None, connector_type: str | None) -> ColumnElement[bool]:
    return and_(
        PricingRule.station_id.is_(None)
        if station_id is None
        else PricingRule.station_id == station_id,
        PricingRule.connector_type.is_(None)
        if connector_type is None
        else PricingRule.connector_type == connector_type,
    )


async def rules_for(
    session: AsyncSession, *, station_id: int, connector_type: str | None, at: datetime
) -> Sequence[PricingRule]:
    """The active rules valid at ``at`` that could apply to the connector, any level."""
    query = (
        select(PricingRule)
        .where(_valid_at(at))
        .where(or_(PricingRule.station_id.is_(None), PricingRule.station_id == station_id))
        .where(
            or_(PricingRule.connector_type.is_(None), PricingRule.connector_type == connector_type)
        )
        .order_by(PricingRule.id)
    )
    return (await session.scalars(query)).all()


async def overlapping(
    session: AsyncSession,
    *,
    station_id: int | None,
    connector_type: str | None,
    valid_from: datetime | None,
    valid_to: datetime | None,
    other_than: int | None = None,
) -> PricingRule | None:
    """An active rule of the same level whose validity meets [valid_from, valid_to)."""
    query = select(PricingRule).where(
        PricingRule.is_active.is_(True), _scope(station_id, connector_type)
    )
    if valid_to is not None:
        query = query.where(
            or_(PricingRule.valid_from.is_(None), PricingRule.valid_from < valid_to)
        )
    if valid_from is not None:
        query = query.where(or_(PricingRule.valid_to.is_(None), PricingRule.valid_to > valid_from))
    if other_than is not None:
        query = query.where(PricingRule.id != other_than)
    return (await session.scalars(query.limit(1))).first()


async def get_rule(session: AsyncSession, rule_id: int) -> PricingRule | None:
    return await session.get(PricingRule, rule_id)


async def list_rules(
    session: AsyncSession, params: PageParams, *, is_active: bool | None
) -> Page[PricingRule]:
    query = select(PricingRule)
    if is_active is not None:
        query = query.where(PricingRule.is_active.is_(is_active))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(PricingRule.id).offset(params.offset).limit(params.limit)
    )
    return Page(items=list(rows.all()), total=total or 0, params=params)


async def station_connector(
    session: AsyncSession, *, station_id: int, connector_id: str
) -> Connector | None:
    query = select(Connector).where(
        Connector.station_id == station_id, Connector.connector_id == connector_id
    )
    return (await session.scalars(query)).first()


async def charger_connector(
    session: AsyncSession, *, charger_id: int, connector_number: int
) -> Connector | None:
    query = (
        select(Connector)
        .where(Connector.charger_id == charger_id)
        .order_by((Connector.connector_number == connector_number).desc(), Connector.id)
    )
    return (await session.scalars(query.limit(1))).first()


async def energy_readings(session: AsyncSession, session_id: int) -> list[tuple[datetime, int]]:
    """(time, register Wh) of a session's energy readings, oldest first."""
    query = (
        select(MeterValue.measured_at, MeterValue.energy_wh)
        .where(MeterValue.session_id == session_id, MeterValue.energy_wh.is_not(None))
        .order_by(MeterValue.measured_at)
    )
    return [(at, int(wh or 0)) for at, wh in (await session.execute(query)).all()]


async def station_connectors(session: AsyncSession, station_id: int) -> Sequence[Connector]:
    query = select(Connector).where(Connector.station_id == station_id).order_by(Connector.id)
    return (await session.scalars(query)).all()


async def station_of_charger(session: AsyncSession, charger_id: int) -> tuple[int, str] | None:
    """(id, name) of the station a charger stands at."""
    query = (
        select(Station.id, Station.name)
        .join(Charger, Charger.station_id == Station.id)
        .where(Charger.id == charger_id)
    )
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (int(row[0]), str(row[1]))
