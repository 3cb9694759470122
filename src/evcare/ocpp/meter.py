"""Reading OCPP ``meterValue`` lists (1.6 and 2.0.1) into plain samples.

Energy is the charger's register (``Energy.Active.Import.Register``) in Wh, power the
``Power.Active.Import`` in W, SoC in percent. Values per phase are summed for power and
current when no phase-less total is given; energy is only taken as a total.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from evcare.charging.sessions.meter import MeterSample

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
SOC = "SoC"
CURRENT = "Current.Import"
VOLTAGE = "Voltage"

_SCALE = {"wh": Decimal(1), "kwh": Decimal(1000), "w": Decimal(1), "kw": Decimal(1000)}
_MAX_WH = 10**12


def parse_timestamp(value: Any) -> datetime:
    """An OCPP timestamp as an aware UTC datetime; a bad one is a ValueError."""
    if not isinstance(value, str):
        raise ValueError("timestamp must be a string")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("timestamp needs a UTC offset")
    return parsed


def parse_meter_values(meter_values: list[dict[str, Any]] | None) -> list[MeterSample]:
    """Samples (snake_case payload from the library) ordered by time; unreadable ones skipped."""
    samples: list[MeterSample] = []
    for item in meter_values or []:
        try:
            measured_at = parse_timestamp(item.get("timestamp"))
        except ValueError:
            continue
        readings: dict[str, list[tuple[str | None, Decimal]]] = {}
        context: str | None = None
        for sampled in item.get("sampled_value") or []:
            value = _number(sampled)
            if value is None:
                continue
            measurand = sampled.get("measurand") or ENERGY
            context = context or sampled.get("context")
            readings.setdefault(measurand, []).append((sampled.get("phase"), value))
        samples.append(
            MeterSample(
                measured_at=measured_at,
                context=context,
                energy_wh=_whole(_total(readings.get(ENERGY), sum_phases=False)),
                power_w=_whole(_total(readings.get(POWER), sum_phases=True)),
                current_a=_float(_total(readings.get(CURRENT), sum_phases=True)),
                voltage_v=_float(_total(readings.get(VOLTAGE), sum_phases=False)),
                soc=_whole(_total(readings.get(SOC), sum_phases=False)),
            )
        )
    samples.sort(key=lambda sample: sample.measured_at)
    return samples


def _number(sampled: dict[str, Any]) -> Decimal | None:
    raw = sampled.get("value")
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    unit_of_measure = sampled.get("unit_of_measure") or {}
    unit = str(sampled.get("unit") or unit_of_measure.get("unit") or "").lower()
    value *= _SCALE.get(unit, Decimal(1))
    multiplier = unit_of_measure.get("multiplier")
    if isinstance(multiplier, int) and -3 <= multiplier <= 6:
        value = value.scaleb(multiplier)
    return value


def _total(values: list[tuple[str | None, Decimal]] | None, *, sum_phases: bool) -> Decimal | None:
    if not values:
        return None
    totals = [value for phase, value in values if not phase or phase == "N"]
    if totals:
        return totals[-1]
    if not sum_phases:
        return None
    return sum((value for _, value in values), Decimal(0))


def _whole(value: Decimal | None) -> int | None:
    if value is None or abs(value) > _MAX_WH:
        return None
    return int(value.to_integral_value())


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
