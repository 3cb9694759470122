"""The pricing engine: a tariff and a session's usage in, an itemised price out. Pure.

No floats and no I/O. Prices are integer minor units (paise): ENERGY per kWh, TIME and
PARKING_TIME per **hour** (the wire's per-minute price x 60, so the connector's per-hour
parking fee is exact too), FLAT per session; percentages and multipliers are basis points
(1.5x = 15,000; 18 % = 1,800). Every intermediate value is an exact fraction of integers
(:class:`fractions.Fraction`); each component is rounded **once**, half up to the minor
unit (the rule of :mod:`evcare.core.money`), and the derived amounts (discount, platform
fee, GST) are computed from the rounded components, so the components always add up.

The session is cut into parts at every boundary that can change a price: UTC midnight
(day of week), each element's and peak window's start and end time of day, the moment
charging stopped (charging -> parking) and the end of each parking grace period. The energy of
a part is read off the meter's curve (linear between readings). Each part is priced by the first
element of each type whose restrictions hold for it (OCPI 2.2.1's rule), so a session
that spans a peak boundary is priced per part.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from fractions import Fraction

ONE_X = 10_000  # basis points: a multiplier of 1, or 100 %


class ElementType(StrEnum):
    ENERGY = "ENERGY"  # per kWh delivered
    TIME = "TIME"  # per hour while charging
    PARKING_TIME = "PARKING_TIME"  # per hour plugged in after charging stopped
    FLAT = "FLAT"  # once per session


@dataclass(frozen=True)
class Restrictions:
    """When an element applies; all of them must hold. Times of day and days are UTC
    (0 = Monday); a window whose end is not after its start wraps midnight. Energy
    (Wh) is the session's total; power (W) its average while charging. Minimums are
    inclusive, maximums exclusive (OCPI)."""

    start_time: time | None = None
    end_time: time | None = None
    days_of_week: frozenset[int] = frozenset()
    min_wh: int | None = None
    max_wh: int | None = None
    min_power_w: int | None = None
    max_power_w: int | None = None

    def holds(self, at: datetime, *, energy_wh: int, power_w: Fraction) -> bool:
        if self.days_of_week and at.weekday() not in self.days_of_week:
            return False
        if not in_window(at.time(), self.start_time, self.end_time):
            return False
        if self.min_wh is not None and energy_wh < self.min_wh:
            return False
        if self.max_wh is not None and energy_wh >= self.max_wh:
            return False
        if self.min_power_w is not None and power_w < self.min_power_w:
            return False
        return self.max_power_w is None or power_w < self.max_power_w


@dataclass(frozen=True)
class Element:
    type: ElementType
    price_minor: int
    restrictions: Restrictions = field(default_factory=Restrictions)
    grace_minutes: int = 0  # PARKING_TIME only: free minutes after charging stops


@dataclass(frozen=True)
class PeakWindow:
    """ENERGY and TIME cost inside the window is multiplied; the extra is the peak charge."""

    start_time: time
    end_time: time
    multiplier_bp: int
    days_of_week: frozenset[int] = frozenset()

    def covers(self, at: datetime) -> bool:
        if self.days_of_week and at.weekday() not in self.days_of_week:
            return False
        return in_window(at.time(), self.start_time, self.end_time)


@dataclass(frozen=True)
class Tariff:
    """What a session is priced with, fees included: snapshotted when it starts."""

    elements: tuple[Element, ...]
    currency: str = "INR"
    peaks: tuple[PeakWindow, ...] = ()
    discount_bp: int = 0
    platform_fee_bp: int = 0
    gst_bp: int = 0
    prices_include_gst: bool = True
    rule_id: int | None = None


@dataclass(frozen=True)
class Usage:
    """What was used: energy over time. ``readings`` are (time, Wh since the start)
    between start and end (the meter's samples); energy is linear between them."""

    started_at: datetime
    ended_at: datetime
    energy_wh: int
    charging_ended_at: datetime | None = None  # None: charging until the end
    readings: tuple[tuple[datetime, int], ...] = ()


@dataclass(frozen=True)
class Price:
    """The itemised price in minor units; ``charges`` (everything before GST is split
    out) = base + energy + parking + peak - discount + platform fee."""

    currency: str
    base_minor: int  # FLAT + TIME
    energy_minor: int
    parking_minor: int
    peak_minor: int
    discount_minor: int
    platform_fee_minor: int
    subtotal_minor: int
    gst_minor: int
    total_minor: int
    energy_rate_minor: int  # per kWh, the first part's (0 without an ENERGY element)
    parking_rate_per_hour_minor: int
    is_peak: bool
    peak_multiplier_bp: int
    discount_bp: int
    gst_bp: int


def in_window(moment: time, start: time | None, end: time | None) -> bool:
    if start is None and end is None:
        return True
    begin = start or time(0)
    if end is None:
        return moment >= begin
    if begin < end:
        return begin <= moment < end
    return moment >= begin or moment < end  # wraps midnight (begin == end: all day)


def round_half_up(value: Fraction) -> int:
    """The one rounding rule: to the nearest minor unit, halves away from zero."""
    if value < 0:
        return -round_half_up(-value)
    return int((value * 2 + 1) // 2)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _times_of_day(tariff: Tariff) -> set[time]:
    found: set[time] = {time(0)}
    for element in tariff.elements:
        found.update(
            t for t in (element.restrictions.start_time, element.restrictions.end_time) if t
        )
    for peak in tariff.peaks:
        found.update((peak.start_time, peak.end_time))
    return found


def _boundaries(tariff: Tariff, usage: Usage, start: datetime, end: datetime) -> list[datetime]:
    cuts = {start, end}
    clock = sorted(_times_of_day(tariff))
    day: date = start.date()
    while day <= end.date():
        for moment in clock:
            cut = datetime.combine(day, moment, tzinfo=UTC)
            if start < cut < end:
                cuts.add(cut)
        day += timedelta(days=1)
    charging_end = _charging_end(usage, start, end)
    cuts.add(charging_end)
    for element in tariff.elements:
        if element.type == ElementType.PARKING_TIME and element.grace_minutes:
            cuts.add(min(charging_end + timedelta(minutes=element.grace_minutes), end))
    return sorted(cuts)


def _charging_end(usage: Usage, start: datetime, end: datetime) -> datetime:
    if usage.charging_ended_at is None:
        return end
    return min(max(_utc(usage.charging_ended_at), start), end)


def _energy_curve(usage: Usage, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """(time, Wh since start) points from 0 at the start to the total at charging's end."""
    charging_end = _charging_end(usage, start, end)
    points = [(start, 0)]
    for at, wh in sorted((_utc(at), wh) for at, wh in usage.readings):
        if start < at < charging_end:
            points.append((at, min(max(wh, points[-1][1]), usage.energy_wh)))
    points.append((charging_end, usage.energy_wh))
    return points


def _energy_at(curve: list[tuple[datetime, int]], moment: datetime) -> Fraction:
    if moment <= curve[0][0]:
        return Fraction(curve[0][1])
    for (t0, e0), (t1, e1) in itertools.pairwise(curve):
        if moment <= t1:
            span = (t1 - t0).total_seconds()
            if span <= 0:
                return Fraction(e1)
            done = Fraction(
                round((moment - t0).total_seconds() * 1_000_000), round(span * 1_000_000)
            )
            return e0 + (e1 - e0) * done
    return Fraction(curve[-1][1])


def _seconds(start: datetime, end: datetime) -> Fraction:
    delta = end - start
    return Fraction(delta.days * 86_400 + delta.seconds) + Fraction(delta.microseconds, 1_000_000)


def _first(
    elements: Iterable[Element], kind: ElementType, at: datetime, energy_wh: int, power: Fraction
) -> Element | None:
    for element in elements:
        if element.type == kind and element.restrictions.holds(
            at, energy_wh=energy_wh, power_w=power
        ):
            return element
    return None


def price(tariff: Tariff, usage: Usage) -> Price:
    """Price ``usage`` with ``tariff``."""
    start = _utc(usage.started_at)
    end = max(_utc(usage.ended_at), start)
    charging_end = _charging_end(usage, start, end)
    charging_hours = _seconds(start, charging_end) / 3600
    power = Fraction(usage.energy_wh) / charging_hours if charging_hours else Fraction(0)
    curve = _energy_curve(usage, start, end)
    energy = base = parking = peak = Fraction(0)
    elements = tariff.elements
    total_wh = usage.energy_wh
    flat = _first(elements, ElementType.FLAT, start, total_wh, power)
    if flat is not None:
        base += flat.price_minor
    first_energy = _first(elements, ElementType.ENERGY, start, total_wh, power)
    multiplier = ONE_X
    cuts = _boundaries(tariff, usage, start, end)
    if len(cuts) == 1:
        cuts = [start, start]
    for a, b in itertools.pairwise(cuts):
        hours = _seconds(a, b) / 3600
        if b <= charging_end:
            # A quote without a duration: all the energy at its start instant.
            part_wh = Fraction(total_wh) if a == b else _energy_at(curve, b) - _energy_at(curve, a)
            part = Fraction(0)
            element = _first(elements, ElementType.ENERGY, a, total_wh, power)
            if element is not None:
                part += part_wh * element.price_minor / 1000
                energy += part_wh * element.price_minor / 1000
            element = _first(elements, ElementType.TIME, a, total_wh, power)
            if element is not None:
                part += hours * element.price_minor
                base += hours * element.price_minor
            window = next((p for p in tariff.peaks if p.covers(a)), None)
            if window is not None and part:
                peak += part * (window.multiplier_bp - ONE_X) / ONE_X
                multiplier = max(multiplier, window.multiplier_bp)
        else:
            parked = _seconds(charging_end, a) / 60
            for element in elements:
                if (
                    element.type == ElementType.PARKING_TIME
                    and parked >= element.grace_minutes
                    and element.restrictions.holds(a, energy_wh=total_wh, power_w=power)
                ):
                    parking += hours * element.price_minor
                    break
    return _settle(
        tariff,
        base=round_half_up(base),
        energy=round_half_up(energy),
        parking=round_half_up(parking),
        peak=round_half_up(peak),
        energy_rate=first_energy.price_minor if first_energy else 0,
        multiplier=multiplier,
    )


def _settle(
    tariff: Tariff,
    *,
    base: int,
    energy: int,
    parking: int,
    peak: int,
    energy_rate: int,
    multiplier: int,
) -> Price:
    charged = base + energy + parking + peak
    discount = round_half_up(Fraction(charged * tariff.discount_bp, ONE_X))
    platform_fee = round_half_up(Fraction((charged - discount) * tariff.platform_fee_bp, ONE_X))
    charges = charged - discount + platform_fee
    if tariff.prices_include_gst:
        gst = round_half_up(Fraction(charges * tariff.gst_bp, ONE_X + tariff.gst_bp))
        subtotal, total = charges - gst, charges
    else:
        gst = round_half_up(Fraction(charges * tariff.gst_bp, ONE_X))
        subtotal, total = charges, charges + gst
    parking_rate = next(
        (e.price_minor for e in tariff.elements if e.type == ElementType.PARKING_TIME), 0
    )
    return Price(
        currency=tariff.currency,
        base_minor=base,
        energy_minor=energy,
        parking_minor=parking,
        peak_minor=peak,
        discount_minor=discount,
        platform_fee_minor=platform_fee,
        subtotal_minor=subtotal,
        gst_minor=gst,
        total_minor=total,
        energy_rate_minor=energy_rate,
        parking_rate_per_hour_minor=parking_rate,
        is_peak=multiplier != ONE_X,
        peak_multiplier_bp=multiplier,
        discount_bp=tariff.discount_bp,
        gst_bp=tariff.gst_bp,
    )


def windows_overlap(windows: Sequence[tuple[time, time, frozenset[int]]]) -> bool:
    """Whether any two (start, end, days) windows share a minute (days empty: every day)."""

    def minutes(start: time, end: time) -> set[int]:
        a, b = start.hour * 60 + start.minute, end.hour * 60 + end.minute
        return set(range(a, b)) if a < b else set(range(a, 1440)) | set(range(0, b))

    for i, (s1, e1, d1) in enumerate(windows):
        for s2, e2, d2 in windows[i + 1 :]:
            days_meet = not d1 or not d2 or bool(d1 & d2)
            if days_meet and minutes(s1, e1) & minutes(s2, e2):
                return True
    return False
