"""RevCare GST: ``PUT /gst/?percent=18`` sets the rate (admins, 0-100, two decimals),
``GET /gst/`` the rate in force, ``GET /gst/history`` every change (admins)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from evcare.billing import tax
from evcare.billing.models import GstRate
from evcare.core.ids import format_public_id
from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.revcare.schemas import RevModel

router = APIRouter(prefix="/gst", tags=["gst"], route_class=TransactionalRoute)

SettingsAdmin = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_SETTINGS))]


def _number(percent: Decimal) -> float | int:
    return int(percent) if percent == percent.to_integral_value() else float(percent)


class GstOut(RevModel):
    percent: float | int
    effective_at: datetime | None
    is_default: bool


class GstChangeOut(RevModel):
    id: int
    percent: float | int
    effective_at: datetime
    set_by: str | None

    @classmethod
    def of(cls, rate: GstRate) -> GstChangeOut:
        return cls(
            id=rate.id,
            percent=_number(tax.percent_of(rate)),
            effective_at=rate.effective_at,
            set_by=format_public_id("ADM", rate.set_by) if rate.set_by is not None else None,
        )


@router.get("/", operation_id="revcare_get_gst")
async def get_gst(session: SessionDep) -> GstOut:
    rate = await tax.current_gst_rate(session)
    if rate is None:
        return GstOut(percent=_number(tax.DEFAULT_GST_PERCENT), effective_at=None, is_default=True)
    return GstOut(
        percent=_number(tax.percent_of(rate)), effective_at=rate.effective_at, is_default=False
    )


@router.get("/history", operation_id="revcare_gst_history")
async def gst_history(
    principal: SettingsAdmin, session: SessionDep, page: Pagination
) -> list[GstChangeOut]:
    return [GstChangeOut.of(rate) for rate in await tax.gst_history(session, principal, page)]


@router.put("/", operation_id="revcare_set_gst")
async def set_gst(
    principal: SettingsAdmin,
    session: SessionDep,
    percent: Annotated[
        Decimal, Query(ge=0, le=100, decimal_places=2, description="e.g. 18 or 12.5")
    ],
) -> GstChangeOut:
    return GstChangeOut.of(await tax.set_gst_percent(session, principal, percent=percent))
