"""The one place a time of day, a date or a datetime comes in from a client.

Every surface route that takes one uses these types, in bodies and in queries:

- :data:`UtcTimeOfDay` (``HH:MM[:SS]`` with an optional offset): a time of day **with an
  offset is converted to the workshop's UTC time of day** (``20:00+05:30`` is
  ``14:30``), because that is what the client said: ISO 8601 gives the offset a meaning,
  and dropping it (what happened before) books people at the wrong hour. A time without
  an offset, or with ``Z``, is UTC, as the documents say. A conversion that crosses
  midnight keeps the UTC wall time (``03:00+05:30`` is ``21:30``); a window that then
  ends before it starts is refused by the rule that checks windows.
- :data:`IsoDate`: ``YYYY-MM-DD`` only. Numbers (``startDate=0`` was 1 January 1970),
  week dates and datetimes are a 422 naming the field.
- :data:`UtcDateTime`: ISO 8601 with an offset, converted to UTC; a datetime without
  an offset is ambiguous and refused (422), as is a bare number.

Only strings are accepted (a JSON number is never read as seconds since 1970). Dates and
datetimes lie between :data:`EARLIEST` and :data:`LATEST` (years 1900 to 2999), or are a
422: nothing the network has or books lies outside, and at the calendar's ends
(``0001-01-01T00:00+05:00``, ``9999-12-31``) a conversion to UTC or a day's bounds in a
time zone overflow.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

_TIME = re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})", re.ASCII
)
# Any day will do: a fixed offset shifts every day the same.
_ANY_DAY = date(2000, 1, 1)
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
_RANGE = f"between {EARLIEST.isoformat()} and {LATEST.isoformat()}"


def _in_range(day: date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"must be {_RANGE}")


def _text(value: Any, pattern: re.Pattern[str], shape: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(f"expected {shape}")
    return value


def parse_time_of_day(value: Any) -> time:
    """``HH:MM[:SS][Z|±HH:MM]`` -> a naive UTC time of day."""
    if isinstance(value, time):
        return value
    text = _text(value, _TIME, "a time of day HH:MM, optionally with an offset (+05:30)")
    try:
        parsed = time.fromisoformat(text)
    except ValueError:
        raise ValueError("not a valid time of day") from None
    if parsed.tzinfo is None:
        return parsed
    return datetime.combine(_ANY_DAY, parsed).astimezone(UTC).time()


def parse_date(value: Any) -> date:
    """``YYYY-MM-DD`` -> a date; nothing else."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    text = _text(value, _DATE, "a date YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        raise ValueError("not a valid date") from None
    _in_range(parsed)
    return parsed


def parse_datetime(value: Any) -> datetime:
    """ISO 8601 with an offset -> an aware UTC datetime."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    text = _text(value, _DATETIME, "an ISO 8601 datetime with an offset (Z or +05:30)")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("not a valid datetime") from None
    # The range is checked before the conversion, which overflows at the calendar's ends.
    _in_range(parsed.date())
    return parsed.astimezone(UTC)


UtcTimeOfDay = Annotated[
    time,
    BeforeValidator(parse_time_of_day),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^{_TIME.pattern}$",
            "description": "HH:MM UTC; an offset (+05:30) is converted to UTC",
            "example": "09:30",
        }
    ),
]
IsoDate = Annotated[
    date,
    BeforeValidator(parse_date),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": f"^{_DATE.pattern}$",
            "example": "2026-11-24",
        }
    ),
]
UtcDateTime = Annotated[
    datetime,
    BeforeValidator(parse_datetime),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": f"^{_DATETIME.pattern}$",
            "example": "2026-11-24T09:30:00Z",
        }
    ),
]
