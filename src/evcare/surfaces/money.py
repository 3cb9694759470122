"""The one money input every surface takes: an amount in major units and its currency.

``amount`` is a JSON number with at most the currency's minor digits (2 for INR),
greater than zero and at most :data:`MAX_MAJOR`; ``currency`` an ISO code we know.
A refusal is a 422 naming the field. :func:`MoneyIn.money` gives the integer minor units.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, ValidationInfo, field_validator

from evcare.core.money import MINOR_UNITS, Money, minor_digits

# Ten million rupees: more than any wallet or charge here; above it is a typo or an attack.
MAX_MAJOR = Decimal(10_000_000)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a number")
    try:
        # repr of a float is its shortest round-tripping text: 12.5, not 12.4999...
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation as error:
        raise ValueError("must be a number") from error
    if not number.is_finite():
        raise ValueError("must be a finite number")
    return number


def _currency(value: Any) -> str:
    if not isinstance(value, str) or value.upper() not in MINOR_UNITS:
        raise ValueError(f"unknown currency; one of {', '.join(sorted(MINOR_UNITS))}")
    return value.upper()


MajorAmount = Annotated[Decimal, BeforeValidator(_decimal)]
Currency = Annotated[str, BeforeValidator(_currency), Field(examples=["INR"])]


def check_amount(amount: Decimal, currency: str, *, allow_zero: bool = False) -> Decimal:
    """The rules of an amount in ``currency``; raises ValueError saying which one failed."""
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValueError("must be greater than 0" if not allow_zero else "must not be negative")
    if amount > MAX_MAJOR:
        raise ValueError(f"must be at most {MAX_MAJOR}")
    digits = minor_digits(currency)
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > digits:
        raise ValueError(f"must have at most {digits} decimal places")
    return amount


def to_minor(amount: Decimal, currency: str) -> int:
    return int(amount.scaleb(minor_digits(currency)))


class MoneyIn(BaseModel):
    """Mix into a request body: ``currency`` (default INR) is read before ``amount``."""

    currency: Currency = "INR"
    amount: MajorAmount = Field(description="In major units (rupees), at most 2 decimals")

    @field_validator("amount")
    @classmethod
    def _amount_rules(cls, amount: Decimal, info: ValidationInfo) -> Decimal:
        return check_amount(amount, str(info.data.get("currency", "INR")))

    def money(self) -> Money:
        return Money(to_minor(self.amount, self.currency), self.currency)
