"""GST: the rate in force (with its history) and how it is applied to amounts.

The rule: GST applies to every amount the workshop charges (each service line, each fee,
a cancellation fee too). Each amount's GST is computed on its own, in minor units,
rounded half up to the minor unit (``Money.percent``); a total is the sum of the already
rounded lines, so what a customer sees per line always adds up to the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import repository
from evcare.billing.models import GstRate
from evcare.core.errors import FieldError, ValidationFailed
from evcare.core.events import publish
from evcare.core.money import Money
from evcare.core.pagination import PageParams
from evcare.identity.principal import Principal

# India's GST on vehicle repair and maintenance services; in force until an admin sets one.
DEFAULT_GST_PERCENT = Decimal("18.00")
_HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class TaxedAmount:
    net: Money
    gst: Money
    percent: Decimal

    @property
    def gross(self) -> Money:
        return self.net + self.gst


def percent_of(rate: GstRate) -> Decimal:
    return (Decimal(rate.basis_points) / 100).quantize(_HUNDREDTH)


async def current_gst_percent(session: AsyncSession) -> Decimal:
    """The GST percent in force now (two decimal places)."""
    rate = await repository.current_gst_rate(session)
    return percent_of(rate) if rate is not None else DEFAULT_GST_PERCENT


def apply_gst(amount: Money, percent: Decimal) -> TaxedAmount:
    """GST on one amount, rounded half up to the minor unit."""
    return TaxedAmount(net=amount, gst=amount.percent(percent), percent=percent)


async def with_current_gst(session: AsyncSession, amount: Money) -> TaxedAmount:
    return apply_gst(amount, await current_gst_percent(session))


async def set_gst_percent(
    session: AsyncSession, principal: Principal, *, percent: Decimal
) -> GstRate:
    """A new rate takes effect now; earlier rates stay in the history, unchanged."""
    if not Decimal(0) <= percent <= Decimal(100) or percent != percent.quantize(_HUNDREDTH):
        raise ValidationFailed(
            "percent must be between 0 and 100 with at most 2 decimal places",
            fields=[FieldError("percent", "0-100, at most 2 decimal places")],
        )
    rate = GstRate(basis_points=int(percent * 100), set_by=principal.user_id)
    session.add(rate)
    await session.flush()
    await publish(session, "billing.gst_changed", {"percent": str(percent_of(rate))})
    return rate


async def current_gst_rate(session: AsyncSession) -> GstRate | None:
    """The stored rate in force, or None while the default applies."""
    return await repository.current_gst_rate(session)


async def gst_history(
    session: AsyncSession, principal: Principal, params: PageParams
) -> list[GstRate]:
    """Every rate ever set, newest first."""
    return await repository.gst_history(session, params)
