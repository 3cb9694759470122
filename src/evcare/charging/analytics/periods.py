"""Periods in the network's time zone, and how SQL finds a moment's local day.

A period is whole local days ``[startDate, endDate]`` of the zone (setting
``time_zone``, default Asia/Kolkata), i.e. the UTC instants from the start date's local
midnight to the midnight after the end date. SQL puts a stored UTC moment on its local
day with the zone's UTC offset, which is constant between the zone's transitions: the
transitions inside the period are found here (a handful a year at most, none for
Asia/Kolkata) and become one ``CASE`` on the moment, so a day, week or month that spans
a daylight-saving change is still cut at local midnight.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, SQLColumnExpression, case, literal

from evcare.core.sqltime import local_day_number

EPOCH_DAY = date(1970, 1, 1)
SECONDS_PER_DAY = 86_400
# The longest period one request may cover (two years): bounded work per request.
MAX_DAYS = 731


class Grain(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO weeks, Monday to Sunday
    MONTH = "month"


@dataclass(frozen=True)
class Period:
    start_date: date
    end_date: date  # inclusive
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return local_midnight(self.start_date, self.zone)

    @property
    def end(self) -> datetime:
        """The instant the period ends (exclusive): midnight after ``end_date``."""
        return local_midnight(self.end_date + timedelta(days=1), self.zone)

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a local day begins (``fold=0``: the earlier one if repeated)."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def today_in(zone: ZoneInfo, now: datetime) -> date:
    return now.astimezone(zone).date()


def epoch(moment: datetime) -> float:
    return moment.timestamp()


def _offset_seconds(moment: datetime, zone: ZoneInfo) -> int:
    offset = moment.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[float, int]]:
    """``(epoch, offset)`` pairs: the offset in force from the start, then from each
    change of offset before ``end``, found to the second by bisection between two days
    with different offsets (no zone changes its offset twice within a day)."""
    found = [(epoch(start), _offset_seconds(start, zone))]
    step = timedelta(days=1)
    moment = start
    while moment < end:
        following = min(moment + step, end)
        if _offset_seconds(following, zone) != found[-1][1]:
            # Offsets change on a whole second: bisect over whole seconds.
            low, high = int(moment.timestamp()), int(following.timestamp())
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_seconds(datetime.fromtimestamp(middle, UTC), zone) == found[-1][1]:
                    low = middle
                else:
                    high = middle
            found.append((float(high), _offset_seconds(datetime.fromtimestamp(high, UTC), zone)))
        moment = following
    return found


def local_day_index(
    moment: SQLColumnExpression[datetime | None], zone: ZoneInfo, start: datetime, end: datetime
) -> ColumnElement[int]:
    """SQL: the local day (days since 1970-01-01 in ``zone``) of a stored moment in
    ``[start, end)``: its UTC offset is a constant, or a ``CASE`` on the moment over the
    zone's changes in the period."""
    changes = transitions(zone, start, end)
    offset: ColumnElement[int]
    if len(changes) == 1:
        offset = literal(changes[0][1])
    else:
        offset = case(
            *[
                (moment < datetime.fromtimestamp(at, UTC), previous)
                for (at, _), (_, previous) in zip(changes[1:], changes, strict=False)
            ],
            else_=changes[-1][1],
        )
    return local_day_number(moment, offset)


def day_index(day: date) -> int:
    return (day - EPOCH_DAY).days


def day_of(index: int) -> date:
    return EPOCH_DAY + timedelta(days=index)


@dataclass(frozen=True)
class Bucket:
    """One day, week or month of a period: its label, first and last day (clipped to
    the period)."""

    label: str
    first: date
    last: date


def bucket_start(day: date, grain: Grain) -> date:
    if grain is Grain.DAY:
        return day
    if grain is Grain.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _label(first: date, grain: Grain) -> str:
    if grain is Grain.MONTH:
        return first.strftime("%Y-%m")
    if grain is Grain.WEEK:
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    return first.isoformat()


def buckets(period: Period, grain: Grain) -> Iterator[Bucket]:
    """The period's days, weeks or months in order (the first and last clipped)."""
    first = period.start_date
    while first <= period.end_date:
        start = bucket_start(first, grain)
        if grain is Grain.DAY:
            following = start + timedelta(days=1)
        elif grain is Grain.WEEK:
            following = start + timedelta(days=7)
        else:
            following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        last = min(following - timedelta(days=1), period.end_date)
        yield Bucket(_label(start, grain), first, last)
        first = following
