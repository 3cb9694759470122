"""Money as integer minor units plus an ISO currency. Never float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MINOR_UNITS = {"INR": 2, "GHS": 2, "USD": 2, "EUR": 2, "NGN": 2, "KES": 2, "JPY": 0}


def minor_digits(currency: str) -> int:
    return MINOR_UNITS.get(currency.upper(), 2)


@dataclass(frozen=True, order=True)
class Money:
    amount_minor: int
    currency: str = "INR"

    @classmethod
    def from_major(cls, amount: Decimal | int | str, currency: str = "INR") -> Money:
        exponent = Decimal(1).scaleb(-minor_digits(currency))
        quantised = Decimal(str(amount)).quantize(exponent, rounding=ROUND_HALF_UP)
        return cls(int(quantised.scaleb(minor_digits(currency))), currency.upper())

    def to_major(self) -> Decimal:
        return Decimal(self.amount_minor).scaleb(-minor_digits(self.currency))

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def percent(self, rate: Decimal | int | str) -> Money:
        """``rate`` percent of this amount, rounded half up to the minor unit."""
        value = (Decimal(self.amount_minor) * Decimal(str(rate)) / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        return Money(int(value), self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")


def major_number(amount_minor: int, currency: str = "INR") -> float | int:
    """Render minor units as the JSON number the seeds show (``12.5`` for 1250 paise)."""
    value = Money(amount_minor, currency).to_major()
    return int(value) if value == value.to_integral_value() else float(value)
