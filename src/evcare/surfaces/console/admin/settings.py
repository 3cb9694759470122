"""``/admin/settings``: the platform's settings (general, pricing, booking, wallet): the
service and request schema of EV-CMS's ``PUT /api/v1/settings``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from evcare.core.errors import ValidationFailed
from evcare.core.transactions import SessionDep
from evcare.identity.models import Role
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.operations import settings as system_settings
from evcare.surfaces.cms.settings import RazorpayKeyId, SettingsIn, SettingsOut
from evcare.surfaces.console.auth import PageAuthenticator
from evcare.surfaces.console.forms import FormInvalid, integer, number, parse, text
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render

router = APIRouter(prefix="/admin/settings", route_class=ConsoleRoute, include_in_schema=False)

SettingsManage = Annotated[
    Principal, Depends(PageAuthenticator(Scope.MANAGE_SETTINGS, roles={Role.ADMIN}))
]


async def _page(
    request: Request,
    session: AsyncSession,
    key_id: str | None,
    *,
    notice: str | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    values = await system_settings.current(session)
    return render(
        request,
        "admin/settings.html",
        {
            "title": "Settings",
            "settings": SettingsOut.of(values, razorpay_key_id=key_id),
            "notice": notice,
            "errors": errors or [],
        },
        status_code=status_code,
    )


@router.get("")
async def settings_page(
    request: Request,
    principal: SettingsManage,
    session: SessionDep,
    key_id: RazorpayKeyId,
    notice: str | None = None,
) -> Response:
    return await _page(request, session, key_id, notice="Saved." if notice == "saved" else None)


def _section(values: dict[str, Any]) -> dict[str, Any] | None:
    given = {key: value for key, value in values.items() if value is not None}
    return given or None


@router.post("")
async def update(
    request: Request, principal: SettingsManage, session: SessionDep, key_id: RazorpayKeyId
) -> Response:
    form = await request.form()
    body_values = {
        "general": _section(
            {
                "siteName": text(form.get("site_name")),
                "supportEmail": text(form.get("support_email")),
                "supportPhone": text(form.get("support_phone")),
                "timeZone": text(form.get("time_zone")),
            }
        ),
        "pricing": _section(
            {
                "platformFeePercentage": number(form.get("platform_fee_percentage")),
                "gstPercentage": number(form.get("gst_percentage")),
                "defaultPricePerKwh": number(form.get("default_price_per_kwh")),
            }
        ),
        "booking": _section(
            {
                "cancellationWindow": integer(form.get("cancellation_window")),
                "maxAdvanceBooking": integer(form.get("max_advance_booking")),
                "reservationFee": number(form.get("reservation_fee")),
            }
        ),
        "payment": _section(
            {
                "minWalletBalance": number(form.get("min_wallet_balance")),
                "maxWalletBalance": number(form.get("max_wallet_balance")),
            }
        ),
    }
    try:
        body = parse(SettingsIn, body_values)
        await system_settings.update_settings(session, principal, body.changes())
    except (FormInvalid, ValidationFailed) as error:
        invalid = error if isinstance(error, FormInvalid) else FormInvalid.of(error)
        await session.rollback()
        return await _page(request, session, key_id, errors=invalid.messages, status_code=422)
    return RedirectResponse("/admin/settings?notice=saved", status_code=303)
