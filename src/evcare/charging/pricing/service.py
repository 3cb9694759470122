"""Pricing: which tariff prices a connector, rules CRUD, quotes, and pricing a session.

The most specific active rule valid at the session's start wins: station + connector
type, then station, then connector type, then network-wide (neither); without one the
connector's own ``basePrice`` (per kWh) and ``parkingFee`` (per hour), and when the
connector has no price either, the settings' ``defaultPricePerKwh``. Two active rules
of the same level whose validity periods meet are a 409 when created or changed.

The tariff, with the settings' platform fee and GST, is snapshotted on the session when
it starts (``charging_session.tariff``); the live estimate, the stop and the CDR are
priced from that snapshot by :func:`evcare.charging.pricing.tariff.price`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import invoices
from evcare.charging.pricing import repository
from evcare.charging.pricing.invoicing import session_charge
from evcare.charging.pricing.models import PricingRule
from evcare.charging.pricing.tariff import (
    Element,
    ElementType,
    PeakWindow,
    Price,
    Restrictions,
    Tariff,
    Usage,
    price,
    windows_overlap,
)
from evcare.charging.sessions.models import ChargingSession
from evcare.charging.stations import repository as station_repository
from evcare.charging.stations.models import Connector, Station
from evcare.charging.stations.repository import is_operator
from evcare.core.clock import utcnow
from evcare.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from evcare.core.pagination import Page, PageParams
from evcare.identity.principal import Principal
from evcare.operations import settings as system_settings

# -- tariffs as JSON (rule rows and session snapshots) -------------------------------------


def _clock(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)


def _clock_text(value: time | None) -> str | None:
    return None if value is None else value.strftime("%H:%M")


def element_to_json(element: Element) -> dict[str, Any]:
    r = element.restrictions
    return {
        "type": str(element.type),
        "priceMinor": element.price_minor,
        "graceMinutes": element.grace_minutes,
        "restrictions": {
            "startTime": _clock_text(r.start_time),
            "endTime": _clock_text(r.end_time),
            "daysOfWeek": sorted(r.days_of_week),
            "minWh": r.min_wh,
            "maxWh": r.max_wh,
            "minPowerW": r.min_power_w,
            "maxPowerW": r.max_power_w,
        },
    }


def element_of(data: dict[str, Any]) -> Element:
    r = data.get("restrictions") or {}
    return Element(
        type=ElementType(data["type"]),
        price_minor=int(data["priceMinor"]),
        grace_minutes=int(data.get("graceMinutes") or 0),
        restrictions=Restrictions(
            start_time=_clock(r.get("startTime")),
            end_time=_clock(r.get("endTime")),
            days_of_week=frozenset(r.get("daysOfWeek") or ()),
            min_wh=r.get("minWh"),
            max_wh=r.get("maxWh"),
            min_power_w=r.get("minPowerW"),
            max_power_w=r.get("maxPowerW"),
        ),
    )


def peak_to_json(peak: PeakWindow) -> dict[str, Any]:
    return {
        "startTime": _clock_text(peak.start_time),
        "endTime": _clock_text(peak.end_time),
        "daysOfWeek": sorted(peak.days_of_week),
        "multiplierBp": peak.multiplier_bp,
    }


def peak_of(data: dict[str, Any]) -> PeakWindow:
    start, end = _clock(data["startTime"]), _clock(data["endTime"])
    assert start is not None and end is not None
    return PeakWindow(
        start_time=start,
        end_time=end,
        multiplier_bp=int(data["multiplierBp"]),
        days_of_week=frozenset(data.get("daysOfWeek") or ()),
    )


def snapshot(tariff: Tariff) -> dict[str, Any]:
    return {
        "ruleId": tariff.rule_id,
        "currency": tariff.currency,
        "elements": [element_to_json(e) for e in tariff.elements],
        "peaks": [peak_to_json(p) for p in tariff.peaks],
        "discountBp": tariff.discount_bp,
        "platformFeeBp": tariff.platform_fee_bp,
        "gstBp": tariff.gst_bp,
        "pricesIncludeGst": tariff.prices_include_gst,
    }


def tariff_of_snapshot(data: dict[str, Any]) -> Tariff:
    return Tariff(
        elements=tuple(element_of(e) for e in data["elements"]),
        currency=data.get("currency", "INR"),
        peaks=tuple(peak_of(p) for p in data.get("peaks") or ()),
        discount_bp=int(data.get("discountBp") or 0),
        platform_fee_bp=int(data.get("platformFeeBp") or 0),
        gst_bp=int(data.get("gstBp") or 0),
        prices_include_gst=bool(data.get("pricesIncludeGst", True)),
        rule_id=data.get("ruleId"),
    )


def tariff_of_rule(rule: PricingRule) -> Tariff:
    return Tariff(
        elements=tuple(element_of(e) for e in rule.elements),
        currency=rule.currency,
        peaks=tuple(peak_of(p) for p in rule.peaks),
        discount_bp=rule.discount_bp,
        prices_include_gst=rule.prices_include_gst,
        rule_id=rule.id,
    )


def legacy_tariff(row: ChargingSession) -> Tariff:
    """A session started before tariffs were snapshotted: its energy rate only."""
    return Tariff(
        elements=(Element(ElementType.ENERGY, row.energy_rate_minor),), currency=row.currency
    )


def energy_rate_of(tariff: Tariff) -> int:
    """The first ENERGY element's price per kWh (the CDR's ``energyRate``), or 0."""
    return next((e.price_minor for e in tariff.elements if e.type == ElementType.ENERGY), 0)


def session_tariff(row: ChargingSession) -> Tariff:
    return legacy_tariff(row) if row.tariff is None else tariff_of_snapshot(row.tariff)


# -- which tariff applies ------------------------------------------------------------------


def _specificity(rule: PricingRule) -> int:
    return (2 if rule.station_id is not None else 0) + (1 if rule.connector_type else 0)


async def tariff_for(session: AsyncSession, connector: Connector | None, *, at: datetime) -> Tariff:
    """The tariff of ``connector`` at ``at``, with the settings' platform fee and GST."""
    values = await system_settings.current(session)
    fees: dict[str, Any] = {
        "platform_fee_bp": values.platform_fee_basis_points,
        "gst_bp": values.gst_basis_points,
    }
    if connector is not None:
        rules = await repository.rules_for(
            session, station_id=connector.station_id, connector_type=connector.type, at=at
        )
        if rules:
            best = max(rules, key=lambda rule: (_specificity(rule), -rule.id))
            return replace(tariff_of_rule(best), **fees)
        if connector.base_price_minor > 0:
            elements = [Element(ElementType.ENERGY, connector.base_price_minor)]
            if connector.parking_fee_minor > 0:
                elements.append(Element(ElementType.PARKING_TIME, connector.parking_fee_minor))
            return Tariff(elements=tuple(elements), currency=connector.currency, **fees)
    default = Element(ElementType.ENERGY, values.default_price_per_kwh_minor)
    return Tariff(elements=(default,), currency=values.currency, **fees)


async def tariff_for_charger(
    session: AsyncSession, *, charger_id: int, connector_number: int, at: datetime
) -> Tariff:
    connector = await repository.charger_connector(
        session, charger_id=charger_id, connector_number=connector_number
    )
    return await tariff_for(session, connector, at=at)


# -- quotes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    station_id: int
    connector_id: str
    energy_wh: int
    duration_seconds: int
    started_at: datetime | None


async def calculate(session: AsyncSession, quote: Quote) -> Price:
    connector = await repository.station_connector(
        session, station_id=quote.station_id, connector_id=quote.connector_id
    )
    if connector is None:
        raise NotFound(f"Connector {quote.connector_id} of station {quote.station_id} not found")
    start = quote.started_at or utcnow()
    tariff = await tariff_for(session, connector, at=start)
    end = start.__class__.fromtimestamp(start.timestamp() + quote.duration_seconds, start.tzinfo)
    return price(tariff, Usage(started_at=start, ended_at=end, energy_wh=quote.energy_wh))


async def preview(
    session: AsyncSession, *, station_id: int, connector_type: str | None
) -> list[tuple[str, Tariff]]:
    """(connector type, tariff in force now) for each connector type of the station."""
    await _live_station(session, station_id)
    connectors = await repository.station_connectors(session, station_id)
    seen: dict[str, Connector] = {}
    for connector in connectors:
        if connector_type is None or connector.type == connector_type:
            seen.setdefault(connector.type, connector)
    now = utcnow()
    return [(kind, await tariff_for(session, c, at=now)) for kind, c in sorted(seen.items())]


# -- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleDraft:
    name: str
    station_id: int | None
    connector_type: str | None
    elements: tuple[Element, ...]
    peaks: tuple[PeakWindow, ...]
    discount_bp: int
    prices_include_gst: bool
    is_active: bool
    valid_from: datetime | None
    valid_to: datetime | None


def _check(draft: RuleDraft) -> None:
    if draft.valid_from and draft.valid_to and draft.valid_to <= draft.valid_from:
        message = "must be after validFrom"
        raise ValidationFailed(message, fields=[FieldError("validTo", message)])
    windows = [(p.start_time, p.end_time, p.days_of_week) for p in draft.peaks]
    if windows_overlap(windows):
        message = "peak windows must not overlap"
        raise ValidationFailed(message, fields=[FieldError("peakHours", message)])


async def _live_station(session: AsyncSession, station_id: int) -> Station:
    station = await session.get(Station, station_id)
    if station is None or station.deleted_at is not None:
        raise NotFound(f"Station {station_id} not found")
    return station


async def _may_manage(session: AsyncSession, principal: Principal, station_id: int | None) -> None:
    """Admins manage every rule; operators the rules of their own stations only."""
    if principal.is_admin:
        if station_id is not None:
            await _live_station(session, station_id)
        return
    if not is_operator(principal):
        raise Forbidden("Only admins and station operators manage pricing rules")
    if station_id is None:
        raise Forbidden("Only admins set network-wide or connector-type pricing rules")
    if await station_repository.get_station(session, station_id, visible_to=principal) is None:
        raise NotFound(f"Station {station_id} not found")


async def _no_overlap(session: AsyncSession, draft: RuleDraft, *, rule_id: int | None) -> None:
    if not draft.is_active:
        return
    clash = await repository.overlapping(
        session,
        station_id=draft.station_id,
        connector_type=draft.connector_type,
        valid_from=draft.valid_from,
        valid_to=draft.valid_to,
        other_than=rule_id,
    )
    if clash is not None:
        raise Conflict(
            f"Pricing rule {clash.id} ({clash.name}) already applies at this level "
            "for an overlapping period"
        )


def _apply(rule: PricingRule, draft: RuleDraft) -> None:
    rule.name = draft.name
    rule.station_id = draft.station_id
    rule.connector_type = draft.connector_type
    rule.elements = [element_to_json(e) for e in draft.elements]
    rule.peaks = [peak_to_json(p) for p in draft.peaks]
    rule.discount_bp = draft.discount_bp
    rule.prices_include_gst = draft.prices_include_gst
    rule.is_active = draft.is_active
    rule.valid_from = draft.valid_from
    rule.valid_to = draft.valid_to


async def create_rule(session: AsyncSession, principal: Principal, draft: RuleDraft) -> PricingRule:
    _check(draft)
    await _may_manage(session, principal, draft.station_id)
    await _no_overlap(session, draft, rule_id=None)
    rule = PricingRule(created_by=principal.user_id)
    _apply(rule, draft)
    session.add(rule)
    await session.flush()
    return rule


def draft_of(rule: PricingRule) -> RuleDraft:
    return RuleDraft(
        name=rule.name,
        station_id=rule.station_id,
        connector_type=rule.connector_type,
        elements=tuple(element_of(e) for e in rule.elements),
        peaks=tuple(peak_of(p) for p in rule.peaks),
        discount_bp=rule.discount_bp,
        prices_include_gst=rule.prices_include_gst,
        is_active=rule.is_active,
        valid_from=rule.valid_from,
        valid_to=rule.valid_to,
    )


async def get_rule(session: AsyncSession, rule_id: int) -> PricingRule:
    rule = await repository.get_rule(session, rule_id)
    if rule is None:
        raise NotFound(f"Pricing rule {rule_id} not found")
    return rule


async def _managed_rule(session: AsyncSession, principal: Principal, rule_id: int) -> PricingRule:
    rule = await get_rule(session, rule_id)
    try:
        await _may_manage(session, principal, rule.station_id)
    except NotFound:
        raise NotFound(f"Pricing rule {rule_id} not found") from None
    return rule


async def update_rule(
    session: AsyncSession, principal: Principal, rule_id: int, changes: dict[str, Any]
) -> PricingRule:
    """Change a rule's name, elements, peaks, discount, validity or activity."""
    rule = await _managed_rule(session, principal, rule_id)
    draft = replace(draft_of(rule), **changes)
    _check(draft)
    await _no_overlap(session, draft, rule_id=rule.id)
    _apply(rule, draft)
    rule.updated_at = utcnow()
    await session.flush()
    return rule


async def delete_rule(session: AsyncSession, principal: Principal, rule_id: int) -> None:
    rule = await _managed_rule(session, principal, rule_id)
    await session.delete(rule)
    await session.flush()


async def list_rules(
    session: AsyncSession, params: PageParams, *, is_active: bool | None
) -> Page[PricingRule]:
    return await repository.list_rules(session, params, is_active=is_active)


# -- billing a session ---------------------------------------------------------------------


def usage_of(
    row: ChargingSession,
    *,
    until: datetime | None = None,
    readings: list[tuple[datetime, int]] | None = None,
) -> Usage:
    """A session's usage: closed, from its meter readings (charging stopped at the first
    reading that reached the final register value); active, up to ``until`` (now)."""
    start = row.started_at
    if row.ended_at is None:
        end = until or utcnow()
        used = max((row.last_meter_wh or row.meter_start_wh) - row.meter_start_wh, 0)
        return Usage(started_at=start, ended_at=max(end, start), energy_wh=used)
    used = row.energy_wh or 0
    final = row.meter_start_wh + used
    points = tuple(
        (at, wh - row.meter_start_wh) for at, wh in readings or () if start < at < row.ended_at
    )
    charging_end = next((at for at, wh in points if wh >= used), None) if used else None
    return Usage(
        started_at=start,
        ended_at=row.ended_at,
        energy_wh=final - row.meter_start_wh,
        charging_ended_at=charging_end,
        readings=points,
    )


def estimate_minor(row: ChargingSession, *, until: datetime | None = None) -> int:
    """What an active session costs so far (the live estimate)."""
    return price(session_tariff(row), usage_of(row, until=until)).total_minor


async def closed_price(session: AsyncSession, row: ChargingSession) -> Price:
    """What a closed session costs, from its snapshot and readings."""
    readings = await repository.energy_readings(session, row.id)
    return price(session_tariff(row), usage_of(row, readings=readings))


async def price_closed(session: AsyncSession, row: ChargingSession) -> Price:
    """Price a closed session (:func:`closed_price`) and store the price on it (energy,
    parking, GST, total). Charging its driver is
    :func:`evcare.charging.sessions.payments.charge_closed_session`."""
    priced = await closed_price(session, row)
    row.energy_cost_minor = priced.energy_minor
    row.parking_fee_minor = priced.parking_minor
    row.gst_minor = priced.gst_minor
    row.cost_minor = priced.total_minor
    return priced


async def price_use(
    session: AsyncSession,
    connector: Connector,
    *,
    started_at: datetime,
    ended_at: datetime,
    energy_wh: int,
) -> Price:
    """What ``energy_wh`` over ``[started_at, ended_at]`` on ``connector`` costs by the
    tariff in force at the start (a use without a session of its own, e.g. a booking
    completed with the driver's own figures)."""
    tariff = await tariff_for(session, connector, at=started_at)
    usage = Usage(started_at=started_at, ended_at=max(ended_at, started_at), energy_wh=energy_wh)
    return price(tariff, usage)


async def _charge_of(
    session: AsyncSession, row: ChargingSession, priced: Price
) -> invoices.SessionCharge:
    station = await repository.station_of_charger(session, row.charger_id)
    return session_charge(row, priced, station)


async def paid_session_charge(
    session: AsyncSession, session_id: int
) -> invoices.SessionCharge | None:
    """A paid session's charge for its invoice, priced again from its snapshot and readings
    (the same price it was billed; its stored cost wins should they ever differ)."""
    row = await session.get(ChargingSession, session_id)
    if row is None or row.user_id is None or row.ended_at is None:
        return None
    readings = await repository.energy_readings(session, row.id)
    priced = price(session_tariff(row), usage_of(row, readings=readings))
    if row.cost_minor is not None and priced.total_minor != row.cost_minor:
        gst = row.gst_minor or 0
        priced = replace(
            priced,
            base_minor=row.cost_minor,
            energy_minor=0,
            parking_minor=0,
            peak_minor=0,
            discount_minor=0,
            platform_fee_minor=0,
            subtotal_minor=row.cost_minor - gst,
            gst_minor=gst,
            total_minor=row.cost_minor,
        )
    return await _charge_of(session, row, priced)


invoices.provide_session_charges(paid_session_charge)
