"""One meter reading of a charging session, whatever protocol the charger spoke.

The OCPP adapter (:mod:`evcare.ocpp.meter`) reads ``meterValue`` lists into these; charging
stores them as meter values and takes the session's energy from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class MeterSample:
    measured_at: datetime
    context: str | None = None
    energy_wh: int | None = None
    power_w: int | None = None
    current_a: float | None = None
    voltage_v: float | None = None
    soc: int | None = None
