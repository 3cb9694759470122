"""What billing's invoice of a paid charging session says: its priced components as lines,
its station and energy (``evcare.billing.invoices.SessionCharge``)."""

from __future__ import annotations

from decimal import Decimal

from evcare.billing.invoice_models import ItemComponent
from evcare.billing.invoices import Line, SessionCharge
from evcare.charging.pricing.tariff import Price
from evcare.charging.sessions.models import ChargingSession


def session_charge(
    row: ChargingSession, priced: Price, station: tuple[int, str] | None
) -> SessionCharge:
    """The charge of a closed session of a known driver, priced as ``priced``."""
    assert row.user_id is not None
    kwh = Decimal(row.energy_wh or 0).scaleb(-3)
    lines = [
        Line(ItemComponent.BASE, "Session and charging-time fee", priced.base_minor),
        Line(ItemComponent.ENERGY, f"Energy {kwh:f} kWh", priced.energy_minor),
        Line(ItemComponent.PEAK, "Peak-hour charge", priced.peak_minor),
        Line(ItemComponent.PARKING, "Parking after charging", priced.parking_minor),
        Line(ItemComponent.DISCOUNT, "Discount", -priced.discount_minor),
        Line(ItemComponent.PLATFORM_FEE, "Platform fee", priced.platform_fee_minor),
    ]
    return SessionCharge(
        session_id=row.id,
        user_id=row.user_id,
        station_id=station[0] if station else None,
        station_name=station[1] if station else None,
        energy_wh=row.energy_wh or 0,
        currency=priced.currency,
        lines=[line for line in lines if line.amount_minor],
        subtotal_minor=priced.subtotal_minor,
        gst_minor=priced.gst_minor,
        gst_bp=priced.gst_bp,
        total_minor=priced.total_minor,
    )
