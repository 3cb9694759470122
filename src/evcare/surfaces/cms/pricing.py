"""EV-CMS section 7, Pricing (``/api/v1/pricing``): quotes, previews and pricing rules.

Anyone signed in may ``calculate`` and ``preview`` and read the rules (tariffs are
public, as OCPI's are); admins manage every rule, station operators the rules of their
own stations (network-wide and connector-type rules are the admins'). Prices are rupees
on the wire: ENERGY per kWh, TIME and PARKING_TIME per minute, FLAT per session. The
model and its one rounding rule: docs/money.md "Pricing".
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field, field_validator, model_validator

from evcare.charging.pricing import service as pricing
from evcare.charging.pricing.models import PricingRule
from evcare.charging.pricing.tariff import (
    ONE_X,
    Element,
    ElementType,
    PeakWindow,
    Price,
    Restrictions,
    Tariff,
)
from evcare.core.money import major_number
from evcare.core.pagination import Page, Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.schemas import (
    CamelModel,
    Done,
    Envelope,
    PagedEnvelope,
    PaginationOut,
    StrictCamelModel,
)
from evcare.surfaces.cms.stations import ConnectorTypeName
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.ids import PricingRuleId, StationId
from evcare.surfaces.money import MajorAmount, check_amount, to_minor
from evcare.surfaces.times import UtcDateTime, UtcTimeOfDay

router = APIRouter(prefix="/pricing", tags=["pricing"], route_class=TransactionalRoute)

PricingRead = Annotated[Principal, Depends(Authenticator(Scope.READ_PRICING))]
PricingManage = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_PRICING))]
CURRENCY = "INR"
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
DayName = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


def _money(minor: int | float) -> float | int:
    return major_number(int(minor), CURRENCY)


def _ratio(basis_points: int) -> float | int:
    value = Decimal(basis_points) / 100
    return int(value) if value == value.to_integral_value() else float(value)


def _bounded(value: Decimal | None, digits: int, most: int) -> Decimal | None:
    """A validator's check: at most ``digits`` places, between 0 and ``most``."""
    if value is not None:
        _scaled(value, digits)
        if value > most:
            raise ValueError(f"must be at most {most}")
    return value


def _days(names: Sequence[str]) -> frozenset[int]:
    return frozenset(DAYS.index(day) for day in names)


def _scaled(value: Decimal, digits: int) -> int:
    """A non-negative decimal with at most ``digits`` places, times 10**digits."""
    if value < 0:
        raise ValueError("must not be negative")
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"must have at most {digits} decimal places")
    return int(scaled)


# -- rules on the wire ---------------------------------------------------------------------


class RestrictionsIn(StrictCamelModel):
    start_time: UtcTimeOfDay | None = None
    end_time: UtcTimeOfDay | None = None
    days_of_week: list[DayName] = Field(default_factory=list, max_length=7)
    min_kwh: MajorAmount | None = None
    max_kwh: MajorAmount | None = None
    min_power_kw: MajorAmount | None = None
    max_power_kw: MajorAmount | None = None

    @field_validator("min_kwh", "max_kwh", "min_power_kw", "max_power_kw")
    @classmethod
    def _limits(cls, value: Decimal | None) -> Decimal | None:
        return _bounded(value, 3, 100_000)

    @model_validator(mode="after")
    def _ordered(self) -> RestrictionsIn:
        for low, high in (("min_kwh", "max_kwh"), ("min_power_kw", "max_power_kw")):
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and b <= a:
                raise ValueError(f"{high} must be greater than {low}")
        return self

    def domain(self) -> Restrictions:
        def milli(value: Decimal | None) -> int | None:
            return None if value is None else _scaled(value, 3)

        return Restrictions(
            start_time=self.start_time,
            end_time=self.end_time,
            days_of_week=_days(self.days_of_week),
            min_wh=milli(self.min_kwh),
            max_wh=milli(self.max_kwh),
            min_power_w=milli(self.min_power_kw),
            max_power_w=milli(self.max_power_kw),
        )


class ElementIn(StrictCamelModel):
    type: Literal["ENERGY", "TIME", "PARKING_TIME", "FLAT"]
    price: MajorAmount = Field(
        description="Rupees: per kWh (ENERGY), per minute (TIME, PARKING_TIME), per session"
    )
    grace_period: int = Field(default=0, ge=0, le=1440, strict=True, description="Minutes")
    restrictions: RestrictionsIn | None = None

    @field_validator("price")
    @classmethod
    def _price(cls, value: Decimal) -> Decimal:
        return check_amount(value, CURRENCY, allow_zero=True)

    @model_validator(mode="after")
    def _grace(self) -> ElementIn:
        if self.grace_period and self.type != "PARKING_TIME":
            raise ValueError("gracePeriod applies to PARKING_TIME only")
        return self

    def domain(self) -> Element:
        minor = to_minor(self.price, CURRENCY)
        per_hour = self.type in ("TIME", "PARKING_TIME")
        return Element(
            type=ElementType(self.type),
            price_minor=minor * 60 if per_hour else minor,
            restrictions=(self.restrictions or RestrictionsIn()).domain(),
            grace_minutes=self.grace_period,
        )


class PeakIn(StrictCamelModel):
    start_time: UtcTimeOfDay
    end_time: UtcTimeOfDay
    days_of_week: list[DayName] = Field(default_factory=list, max_length=7)
    multiplier: MajorAmount

    @field_validator("multiplier")
    @classmethod
    def _multiplier(cls, value: Decimal) -> Decimal:
        if not Decimal(1) <= value <= Decimal(10):
            raise ValueError("must be between 1 and 10")
        _scaled(value, 4)
        return value

    def domain(self) -> PeakWindow:
        return PeakWindow(
            start_time=self.start_time,
            end_time=self.end_time,
            multiplier_bp=_scaled(self.multiplier, 4),
            days_of_week=_days(self.days_of_week),
        )


def _percentage(value: Decimal | None) -> Decimal | None:
    if value is not None and not Decimal(0) <= value <= Decimal(100):
        raise ValueError("must be between 0 and 100")
    if value is not None:
        _scaled(value, 2)
    return value


class RuleIn(StrictCamelModel):
    name: str = Field(min_length=1, max_length=200)
    station_id: StationId | None = None
    connector_type: ConnectorTypeName | None = None
    rules: list[ElementIn] = Field(min_length=1, max_length=50)
    peak_hours: list[PeakIn] = Field(default_factory=list, max_length=24)
    discount_percentage: MajorAmount = Decimal(0)
    prices_include_gst: bool = True
    is_active: bool = True
    valid_from: UtcDateTime | None = None
    valid_to: UtcDateTime | None = None

    _percent = field_validator("discount_percentage")(_percentage)

    def draft(self) -> pricing.RuleDraft:
        return pricing.RuleDraft(
            name=self.name,
            station_id=self.station_id,
            connector_type=self.connector_type,
            elements=tuple(e.domain() for e in self.rules),
            peaks=tuple(p.domain() for p in self.peak_hours),
            discount_bp=_scaled(self.discount_percentage, 2),
            prices_include_gst=self.prices_include_gst,
            is_active=self.is_active,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
        )


class RuleUpdateIn(StrictCamelModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    rules: list[ElementIn] | None = Field(default=None, min_length=1, max_length=50)
    peak_hours: list[PeakIn] | None = Field(default=None, max_length=24)
    discount_percentage: MajorAmount | None = None
    prices_include_gst: bool | None = None
    is_active: bool | None = None
    valid_from: UtcDateTime | None = None
    valid_to: UtcDateTime | None = None

    _percent = field_validator("discount_percentage")(_percentage)

    def changes(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        given = self.model_fields_set
        if self.name is not None:
            found["name"] = self.name
        if self.rules is not None:
            found["elements"] = tuple(e.domain() for e in self.rules)
        if self.peak_hours is not None:
            found["peaks"] = tuple(p.domain() for p in self.peak_hours)
        if self.discount_percentage is not None:
            found["discount_bp"] = _scaled(self.discount_percentage, 2)
        if self.prices_include_gst is not None:
            found["prices_include_gst"] = self.prices_include_gst
        if self.is_active is not None:
            found["is_active"] = self.is_active
        for name in ("valid_from", "valid_to"):  # an explicit null opens the period
            if name in given:
                found[name] = getattr(self, name)
        return found


class RestrictionsOut(CamelModel):
    start_time: str | None
    end_time: str | None
    days_of_week: list[str]
    min_kwh: float | int | None
    max_kwh: float | int | None
    min_power_kw: float | int | None
    max_power_kw: float | int | None


def _milli(value: int | None) -> float | int | None:
    if value is None:
        return None
    number = Decimal(value) / 1000
    return int(number) if number == number.to_integral_value() else float(number)


class ElementOut(CamelModel):
    type: str
    price: float | int
    grace_period: int
    restrictions: RestrictionsOut

    @classmethod
    def of(cls, element: Element) -> ElementOut:
        r = element.restrictions
        per_hour = element.type in (ElementType.TIME, ElementType.PARKING_TIME)
        shown = Decimal(element.price_minor) / 60 if per_hour else Decimal(element.price_minor)
        value = shown / 100
        return cls(
            type=str(element.type),
            price=int(value) if value == value.to_integral_value() else float(value),
            grace_period=element.grace_minutes,
            restrictions=RestrictionsOut(
                start_time=None if r.start_time is None else r.start_time.strftime("%H:%M"),
                end_time=None if r.end_time is None else r.end_time.strftime("%H:%M"),
                days_of_week=[DAYS[d] for d in sorted(r.days_of_week)],
                min_kwh=_milli(r.min_wh),
                max_kwh=_milli(r.max_wh),
                min_power_kw=_milli(r.min_power_w),
                max_power_kw=_milli(r.max_power_w),
            ),
        )


class PeakOut(CamelModel):
    start_time: str
    end_time: str
    days_of_week: list[str]
    multiplier: float | int

    @classmethod
    def of(cls, peak: PeakWindow) -> PeakOut:
        value = Decimal(peak.multiplier_bp) / ONE_X
        return cls(
            start_time=peak.start_time.strftime("%H:%M"),
            end_time=peak.end_time.strftime("%H:%M"),
            days_of_week=[DAYS[d] for d in sorted(peak.days_of_week)],
            multiplier=int(value) if value == value.to_integral_value() else float(value),
        )


class RuleOut(CamelModel):
    id: str
    name: str
    station_id: str | None
    connector_type: str | None
    rules: list[ElementOut]
    peak_hours: list[PeakOut]
    discount_percentage: float | int
    prices_include_gst: bool
    currency: str
    is_active: bool
    valid_from: Any
    valid_to: Any
    created_at: Any
    updated_at: Any

    @classmethod
    def of(cls, rule: PricingRule) -> RuleOut:
        tariff = pricing.tariff_of_rule(rule)
        return cls(
            id=str(rule.id),
            name=rule.name,
            station_id=None if rule.station_id is None else str(rule.station_id),
            connector_type=rule.connector_type,
            rules=[ElementOut.of(e) for e in tariff.elements],
            peak_hours=[PeakOut.of(p) for p in tariff.peaks],
            discount_percentage=_ratio(rule.discount_bp),
            prices_include_gst=rule.prices_include_gst,
            currency=rule.currency,
            is_active=rule.is_active,
            valid_from=rule.valid_from,
            valid_to=rule.valid_to,
            created_at=rule.created_at,
            updated_at=rule.updated_at,
        )


class RuleBody(CamelModel):
    rule: RuleOut


class RulesBody(CamelModel):
    rules: list[RuleOut]


# -- quotes --------------------------------------------------------------------------------


class CalculateIn(StrictCamelModel):
    station_id: StationId
    connector_id: str = Field(min_length=1, max_length=20)
    energy_kwh: MajorAmount
    duration: MajorAmount | None = Field(default=None, description="Minutes")
    start_time: UtcDateTime | None = None

    @field_validator("energy_kwh")
    @classmethod
    def _energy(cls, value: Decimal) -> Decimal:
        _bounded(value, 3, 100_000)
        return value

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: Decimal | None) -> Decimal | None:
        return _bounded(value, 2, 10_080)


class BreakdownOut(CamelModel):
    per_kwh_rate: float | int
    parking_rate_per_minute: float | int
    is_peak_hour: bool
    peak_multiplier: float | int
    discount_percentage: float | int
    gst_percentage: float | int


class CostOut(CamelModel):
    """The documented cost breakdown; components add up: basePrice (FLAT + TIME) +
    energyCost + parkingFee + peakHourCharge - discount + platformFee = subtotal + gst =
    total."""

    base_price: float | int
    energy_cost: float | int
    parking_fee: float | int
    peak_hour_charge: float | int
    discount: float | int
    platform_fee: float | int
    subtotal: float | int
    gst: float | int
    total: float | int
    breakdown: BreakdownOut

    @classmethod
    def of(cls, priced: Price) -> CostOut:
        def money(minor: int) -> float | int:
            return major_number(minor, priced.currency)

        multiplier = Decimal(priced.peak_multiplier_bp) / ONE_X
        per_minute = Decimal(priced.parking_rate_per_hour_minor) / 60 / 100
        return cls(
            base_price=money(priced.base_minor),
            energy_cost=money(priced.energy_minor),
            parking_fee=money(priced.parking_minor),
            peak_hour_charge=money(priced.peak_minor),
            discount=money(priced.discount_minor),
            platform_fee=money(priced.platform_fee_minor),
            subtotal=money(priced.subtotal_minor),
            gst=money(priced.gst_minor),
            total=money(priced.total_minor),
            breakdown=BreakdownOut(
                per_kwh_rate=money(priced.energy_rate_minor),
                parking_rate_per_minute=float(round(per_minute, 4))
                if per_minute != per_minute.to_integral_value()
                else int(per_minute),
                is_peak_hour=priced.is_peak,
                peak_multiplier=int(multiplier)
                if multiplier == multiplier.to_integral_value()
                else float(multiplier),
                discount_percentage=_ratio(priced.discount_bp),
                gst_percentage=_ratio(priced.gst_bp),
            ),
        )


class PreviewItem(CamelModel):
    connector_type: str
    rule_id: str | None
    rules: list[ElementOut]
    peak_hours: list[PeakOut]
    discount_percentage: float | int
    platform_fee_percentage: float | int
    gst_percentage: float | int
    prices_include_gst: bool
    currency: str

    @classmethod
    def of(cls, connector_type: str, tariff: Tariff) -> PreviewItem:
        return cls(
            connector_type=connector_type,
            rule_id=None if tariff.rule_id is None else str(tariff.rule_id),
            rules=[ElementOut.of(e) for e in tariff.elements],
            peak_hours=[PeakOut.of(p) for p in tariff.peaks],
            discount_percentage=_ratio(tariff.discount_bp),
            platform_fee_percentage=_ratio(tariff.platform_fee_bp),
            gst_percentage=_ratio(tariff.gst_bp),
            prices_include_gst=tariff.prices_include_gst,
            currency=tariff.currency,
        )


class PreviewBody(CamelModel):
    pricing: list[PreviewItem]


# -- routes --------------------------------------------------------------------------------


@router.post("/calculate", operation_id="cms_calculate_price")
async def calculate(
    body: CalculateIn, principal: PricingRead, session: SessionDep
) -> Envelope[CostOut]:
    quote = pricing.Quote(
        station_id=body.station_id,
        connector_id=body.connector_id,
        energy_wh=_scaled(body.energy_kwh, 3),
        duration_seconds=int((body.duration or Decimal(0)) * 60),
        started_at=body.start_time,
    )
    return Envelope(data=CostOut.of(await pricing.calculate(session, quote)))


@router.get("/preview/{station_id}", operation_id="cms_preview_pricing")
async def preview(
    station_id: StationId,
    principal: PricingRead,
    session: SessionDep,
    connector_type: Annotated[ConnectorTypeName | None, Query(alias="connectorType")] = None,
) -> Envelope[PreviewBody]:
    found = await pricing.preview(session, station_id=station_id, connector_type=connector_type)
    return Envelope(data=PreviewBody(pricing=[PreviewItem.of(kind, t) for kind, t in found]))


@router.get("/rules", operation_id="cms_list_pricing_rules")
async def list_rules(
    principal: PricingRead,
    session: SessionDep,
    page: Pagination,
    is_active: Annotated[bool | None, Query(alias="isActive")] = None,
) -> PagedEnvelope[RulesBody]:
    result = await pricing.list_rules(session, page, is_active=is_active)
    return PagedEnvelope(
        data=RulesBody(rules=[RuleOut.of(rule) for rule in result.items]),
        pagination=PaginationOut.of(Page(items=[], total=result.total, params=result.params)),
    )


@router.get("/rules/{rule_id}", operation_id="cms_get_pricing_rule")
async def get_rule(
    rule_id: PricingRuleId, principal: PricingRead, session: SessionDep
) -> Envelope[RuleBody]:
    return Envelope(data=RuleBody(rule=RuleOut.of(await pricing.get_rule(session, rule_id))))


@router.post("/rules", operation_id="cms_create_pricing_rule", status_code=201)
async def create_rule(
    body: RuleIn, principal: PricingManage, session: SessionDep
) -> Envelope[RuleBody]:
    rule = await pricing.create_rule(session, principal, body.draft())
    return Envelope(message="Pricing rule created", data=RuleBody(rule=RuleOut.of(rule)))


@router.put("/rules/{rule_id}", operation_id="cms_update_pricing_rule")
async def update_rule(
    rule_id: PricingRuleId, body: RuleUpdateIn, principal: PricingManage, session: SessionDep
) -> Envelope[RuleBody]:
    rule = await pricing.update_rule(session, principal, rule_id, body.changes())
    return Envelope(message="Pricing rule updated", data=RuleBody(rule=RuleOut.of(rule)))


@router.delete("/rules/{rule_id}", operation_id="cms_delete_pricing_rule")
async def delete_rule(
    rule_id: PricingRuleId, principal: PricingManage, session: SessionDep
) -> Envelope[Done]:
    await pricing.delete_rule(session, principal, rule_id)
    return Envelope(message="Pricing rule deleted", data=Done())
