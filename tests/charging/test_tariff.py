"""The pricing engine alone: rounding, peak boundaries, grace periods, discounts, GST."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from fractions import Fraction

from evcare.charging.pricing.tariff import (
    Element,
    ElementType,
    PeakWindow,
    Restrictions,
    Tariff,
    Usage,
    price,
    round_half_up,
    windows_overlap,
)

START = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)  # a Monday
ENERGY = Element(ElementType.ENERGY, 1801)


def _usage(minutes: int, wh: int, **kwargs: object) -> Usage:
    return Usage(
        started_at=START, ended_at=START + timedelta(minutes=minutes), energy_wh=wh, **kwargs
    )  # type: ignore[arg-type]


def test_one_rounding_rule_half_up_to_the_paisa() -> None:
    assert [round_half_up(Fraction(n, 2)) for n in (1, 3, 5, 1801)] == [1, 2, 3, 901]
    priced = price(Tariff(elements=(ENERGY,)), _usage(6, 500))  # 900.5 paise
    assert priced.energy_minor == 901 and priced.total_minor == 901


def test_a_session_across_a_peak_boundary_is_priced_per_part() -> None:
    """17:30-18:30 at 10 kWh/h: 5 kWh before 18:00 at Rs 20, 5 kWh after at 1.5x."""
    tariff = Tariff(
        elements=(Element(ElementType.ENERGY, 2000),),
        peaks=(PeakWindow(time(18), time(22), 15_000),),
    )
    usage = Usage(
        started_at=START + timedelta(minutes=30),
        ended_at=START + timedelta(minutes=90),
        energy_wh=10_000,
    )
    priced = price(tariff, usage)
    assert priced.energy_minor == 20_000
    assert priced.peak_minor == 5_000  # half the energy, at +50 %
    assert priced.is_peak and priced.peak_multiplier_bp == 15_000
    assert priced.total_minor == 25_000


def test_meter_readings_decide_how_much_energy_fell_in_the_peak() -> None:
    tariff = Tariff(
        elements=(Element(ElementType.ENERGY, 2000),),
        peaks=(PeakWindow(time(18), time(22), 20_000),),
    )
    # 9 kWh by 18:00, then 1 kWh in the peak.
    usage = _usage(120, 10_000, readings=((START + timedelta(hours=1), 9_000),))
    assert price(tariff, usage).peak_minor == 2_000


def test_time_of_day_elements_and_parking_after_a_grace_period() -> None:
    tariff = Tariff(
        elements=(
            Element(
                ElementType.ENERGY,
                1000,
                Restrictions(start_time=time(17, 30), end_time=time(6)),
            ),
            Element(ElementType.ENERGY, 2000),
            Element(ElementType.TIME, 60),  # Rs 0.60 per hour of charging
            Element(ElementType.PARKING_TIME, 12_000, grace_minutes=10),  # Rs 2/min
            Element(ElementType.FLAT, 500),
        ),
    )
    usage = _usage(60, 6_000, charging_ended_at=START + timedelta(minutes=40))
    priced = price(tariff, usage)
    # 40 min charging, 6 kWh evenly: 4.5 kWh before 17:30 at 20, 1.5 kWh after at 10.
    assert priced.energy_minor == 9_000 + 1_500
    assert priced.base_minor == 500 + 40  # FLAT + 40 minutes of TIME
    assert priced.parking_minor == 10 * 200  # 20 minutes parked, 10 of them free


def test_discount_platform_fee_and_gst_add_up_exactly() -> None:
    tariff = Tariff(
        elements=(Element(ElementType.ENERGY, 1801),),
        discount_bp=1_000,
        platform_fee_bp=250,
        gst_bp=1_800,
        prices_include_gst=False,
    )
    priced = price(tariff, _usage(30, 10_000))
    assert priced.energy_minor == 18_010
    assert priced.discount_minor == 1_801
    assert priced.platform_fee_minor == round_half_up(Fraction(16_209 * 250, 10_000))  # 405
    assert priced.subtotal_minor == 18_010 - 1_801 + 405
    assert priced.gst_minor == round_half_up(Fraction(priced.subtotal_minor * 18, 100))
    assert priced.total_minor == priced.subtotal_minor + priced.gst_minor
    inclusive = price(Tariff(elements=tariff.elements, gst_bp=1_800), _usage(30, 10_000))
    assert inclusive.total_minor == 18_010
    assert inclusive.gst_minor == 2_747  # 18010 x 18/118 = 2747.3
    assert inclusive.subtotal_minor + inclusive.gst_minor == inclusive.total_minor


def test_energy_restrictions_pick_the_first_matching_element() -> None:
    tariff = Tariff(
        elements=(
            Element(ElementType.ENERGY, 1500, Restrictions(min_wh=20_000)),
            Element(ElementType.ENERGY, 2000),
        )
    )
    assert price(tariff, _usage(60, 25_000)).energy_minor == 37_500
    assert price(tariff, _usage(60, 10_000)).energy_minor == 20_000


def test_overlapping_windows_are_found() -> None:
    every_day: frozenset[int] = frozenset()
    assert windows_overlap([(time(18), time(22), every_day), (time(21), time(23), every_day)])
    assert windows_overlap([(time(22), time(2), every_day), (time(1), time(3), every_day)])
    assert not windows_overlap([(time(18), time(22), every_day), (time(22), time(23), every_day)])
    assert not windows_overlap(
        [(time(18), time(22), frozenset({0})), (time(18), time(22), frozenset({1}))]
    )
