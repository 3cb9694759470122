"""The EV-CMS Session object and CDR, built once for REST responses and events alike.

Rules (README "Sessions and CDRs"):

- times are the charger's (StartTransaction/StopTransaction or TransactionEvent
  timestamps), never the server's receive time;
- ``energyConsumed`` (kWh, 3 decimals) = meterStop - meterStart while the session is
  closed, or the last meter reading - meterStart while it is active;
- ``duration`` (minutes, 1 decimal) = endTime - startTime (now - startTime while active);
- ``cost`` (major units) = the session's tariff, snapshotted at start, applied by the
  pricing engine (:mod:`evcare.charging.pricing`, docs/money.md "Pricing"): the bill
  once closed, the live estimate while active;
- a CDR exists only for a closed session (completed or failed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python

from evcare.charging.events import SESSION_ID_PREFIX
from evcare.charging.pricing import service as pricing
from evcare.charging.sessions.models import ChargingSession, SessionStatus
from evcare.core.clock import utcnow
from evcare.core.ids import format_public_id, parse_key
from evcare.core.money import major_number


@dataclass(frozen=True)
class SessionView:
    """A session with the names its documents show."""

    row: ChargingSession
    charge_point_id: str
    owner_id: int
    user_name: str | None = None
    vehicle_info: str | None = None


def public_session_id(key: int) -> str:
    return format_public_id(SESSION_ID_PREFIX, key)


def energy_wh(row: ChargingSession) -> int | None:
    if row.energy_wh is not None:
        return row.energy_wh
    if row.last_meter_wh is None:
        return None
    return max(row.last_meter_wh - row.meter_start_wh, 0)


def _kwh(value: int | None) -> float | None:
    return None if value is None else round(value / 1000, 3)


def _minutes(start: datetime, end: datetime | None) -> float:
    seconds = ((end or utcnow()) - start).total_seconds()
    return round(max(seconds, 0) / 60, 1)


def session_document(view: SessionView) -> dict[str, Any]:
    """The EV-CMS Session object (times as datetimes)."""
    row = view.row
    energy = energy_wh(row)
    cost_minor = row.cost_minor
    if cost_minor is None and energy is not None:
        cost_minor = pricing.estimate_minor(row)
    transaction = row.transaction_id
    return {
        "id": str(row.id),
        "sessionId": public_session_id(row.id),
        "userId": None if row.user_id is None else str(row.user_id),
        "chargerId": view.charge_point_id,
        "connectorId": row.connector_id,
        "vehicleId": None if row.vehicle_id is None else str(row.vehicle_id),
        "status": row.status,
        "startTime": row.started_at,
        "endTime": row.ended_at,
        "meterStart": row.meter_start_wh,
        "meterStop": row.meter_stop_wh,
        "energyConsumed": _kwh(energy),
        "duration": _minutes(row.started_at, row.ended_at),
        "cost": None if cost_minor is None else major_number(cost_minor, row.currency),
        "paymentStatus": row.payment_status,
        "stopReason": row.stop_reason,
        "ocppTransactionId": parse_key(transaction),
    }


def cdr_document(view: SessionView) -> dict[str, Any] | None:
    """The CDR of a closed session; ``None`` while it is active."""
    row = view.row
    if row.status == SessionStatus.ACTIVE or row.ended_at is None:
        return None
    currency = row.currency
    return {
        "sessionId": public_session_id(row.id),
        "userId": None if row.user_id is None else str(row.user_id),
        "userName": view.user_name,
        "chargerId": view.charge_point_id,
        "connectorId": row.connector_id,
        "vehicleInfo": view.vehicle_info,
        "startTime": row.started_at,
        "endTime": row.ended_at,
        "duration": _minutes(row.started_at, row.ended_at),
        "energyConsumed": _kwh(row.energy_wh or 0),
        "meterStart": row.meter_start_wh,
        "meterStop": row.meter_stop_wh if row.meter_stop_wh is not None else row.meter_start_wh,
        "totalCost": major_number(row.cost_minor or 0, currency),
        "currency": currency,
        "pricing": {
            "energyRate": major_number(row.energy_rate_minor, currency),
            "totalEnergyCost": major_number(row.energy_cost_minor or 0, currency),
            "parkingFee": major_number(row.parking_fee_minor, currency),
            "gst": major_number(row.gst_minor or 0, currency),
        },
    }


def as_json(document: dict[str, Any] | None) -> Any:
    """A document ready for an event payload (ISO 8601 times)."""
    return to_jsonable_python(document)
