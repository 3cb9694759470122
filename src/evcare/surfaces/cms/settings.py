"""EV-CMS section 16, Settings (``/api/v1/settings``): admins read and change them.

``PUT`` takes any part of the documented object (``{"payment": {"minWalletBalance":
50}}``); every field is validated (percentages 0-100, amounts in rupees with at most two
decimals, minutes and days in range) and every changed value is audited.
``payment.razorpayKeyId`` is shown from the server's configuration and cannot be set
here; no secret is ever shown.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends
from pydantic import EmailStr, Field, field_validator

from evcare.billing.razorpay import SandboxGateway
from evcare.core.money import major_number
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.operations import settings as system_settings
from evcare.operations.settings import SystemSettings
from evcare.surfaces.cms.schemas import CamelModel, Envelope, StrictCamelModel
from evcare.surfaces.deps import Authenticator, RuntimeDep
from evcare.surfaces.money import MajorAmount, check_amount, to_minor

router = APIRouter(prefix="/settings", tags=["settings"], route_class=TransactionalRoute)

SettingsManage = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_SETTINGS))]
SANDBOX_KEY_ID = SandboxGateway.key_id
CURRENCY = system_settings.DEFAULTS.currency


def _percent(basis_points: int) -> float | int:
    value = Decimal(basis_points) / 100
    return int(value) if value == value.to_integral_value() else float(value)


class GeneralOut(CamelModel):
    site_name: str
    support_email: str
    support_phone: str
    time_zone: str


class PricingOut(CamelModel):
    platform_fee_percentage: float | int
    gst_percentage: float | int
    default_price_per_kwh: float | int


class BookingOut(CamelModel):
    cancellation_window: int
    max_advance_booking: int
    reservation_fee: float | int


class PaymentOut(CamelModel):
    min_wallet_balance: float | int
    max_wallet_balance: float | int
    razorpay_key_id: str | None


class SettingsOut(CamelModel):
    general: GeneralOut
    pricing: PricingOut
    booking: BookingOut
    payment: PaymentOut

    @classmethod
    def of(cls, values: SystemSettings, *, razorpay_key_id: str | None) -> SettingsOut:
        def money(minor: int) -> float | int:
            return major_number(minor, values.currency)

        return cls(
            general=GeneralOut(
                site_name=values.site_name,
                support_email=values.support_email,
                support_phone=values.support_phone,
                time_zone=values.time_zone,
            ),
            pricing=PricingOut(
                platform_fee_percentage=_percent(values.platform_fee_basis_points),
                gst_percentage=_percent(values.gst_basis_points),
                default_price_per_kwh=money(values.default_price_per_kwh_minor),
            ),
            booking=BookingOut(
                cancellation_window=values.cancellation_window_minutes,
                max_advance_booking=values.max_advance_booking_days,
                reservation_fee=money(values.reservation_fee_minor),
            ),
            payment=PaymentOut(
                min_wallet_balance=money(values.min_wallet_balance_minor),
                max_wallet_balance=money(values.max_wallet_balance_minor),
                razorpay_key_id=razorpay_key_id,
            ),
        )


class SettingsBody(CamelModel):
    settings: SettingsOut


def _percentage(value: Decimal | None) -> Decimal | None:
    if value is None:  # an explicit null leaves the setting as it is
        return None
    if not Decimal(0) <= value <= Decimal(100):
        raise ValueError("must be between 0 and 100")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError("must have at most 2 decimal places")
    return value


def _rupees(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return check_amount(value, CURRENCY, allow_zero=True)


class GeneralIn(StrictCamelModel):
    site_name: str | None = Field(default=None, min_length=1, max_length=100)
    support_email: EmailStr | None = None
    support_phone: str | None = Field(default=None, pattern=r"^\+?[0-9]{6,15}$")
    time_zone: str | None = Field(
        default=None, max_length=64, description="IANA time zone, e.g. Asia/Kolkata"
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in available_timezones():
            raise ValueError("not an IANA time zone (such as Asia/Kolkata)")
        return value


class PricingIn(StrictCamelModel):
    platform_fee_percentage: MajorAmount | None = None
    gst_percentage: MajorAmount | None = None
    default_price_per_kwh: MajorAmount | None = None

    _percentages = field_validator("platform_fee_percentage", "gst_percentage")(_percentage)
    _amounts = field_validator("default_price_per_kwh")(_rupees)


class BookingIn(StrictCamelModel):
    cancellation_window: int | None = Field(default=None, ge=0, le=10_080, strict=True)
    max_advance_booking: int | None = Field(default=None, ge=1, le=365, strict=True)
    reservation_fee: MajorAmount | None = None

    _amounts = field_validator("reservation_fee")(_rupees)


class PaymentIn(StrictCamelModel):
    min_wallet_balance: MajorAmount | None = None
    max_wallet_balance: MajorAmount | None = None

    _amounts = field_validator("min_wallet_balance", "max_wallet_balance")(_rupees)


class SettingsIn(StrictCamelModel):
    general: GeneralIn | None = None
    pricing: PricingIn | None = None
    booking: BookingIn | None = None
    payment: PaymentIn | None = None

    def changes(self) -> dict[str, Any]:
        """Domain keys and values of what this body sets."""
        found: dict[str, Any] = {}

        def put(key: str, value: Any, convert: Any = None) -> None:
            if value is not None:
                found[key] = convert(value) if convert else value

        def minor(value: Decimal) -> int:
            return to_minor(value, CURRENCY)

        def basis_points(value: Decimal) -> int:
            return int(value * 100)

        if self.general:
            put("site_name", self.general.site_name)
            put("support_email", self.general.support_email, str)
            put("support_phone", self.general.support_phone)
            put("time_zone", self.general.time_zone)
        if self.pricing:
            put("platform_fee_basis_points", self.pricing.platform_fee_percentage, basis_points)
            put("gst_basis_points", self.pricing.gst_percentage, basis_points)
            put("default_price_per_kwh_minor", self.pricing.default_price_per_kwh, minor)
        if self.booking:
            put("cancellation_window_minutes", self.booking.cancellation_window)
            put("max_advance_booking_days", self.booking.max_advance_booking)
            put("reservation_fee_minor", self.booking.reservation_fee, minor)
        if self.payment:
            put("min_wallet_balance_minor", self.payment.min_wallet_balance, minor)
            put("max_wallet_balance_minor", self.payment.max_wallet_balance, minor)
        return found


def _razorpay_key_id(runtime: RuntimeDep) -> str | None:
    """The public key id Checkout needs: configured, or the sandbox's outside production."""
    configured = runtime.settings.razorpay_key_id
    if configured:
        return configured
    return None if runtime.settings.environment == "production" else SANDBOX_KEY_ID


RazorpayKeyId = Annotated[str | None, Depends(_razorpay_key_id)]


@router.get("", operation_id="cms_get_settings")
@router.get("/", include_in_schema=False)
async def get_settings(
    principal: SettingsManage, session: SessionDep, key_id: RazorpayKeyId
) -> Envelope[SettingsBody]:
    values = await system_settings.current(session)
    return Envelope(data=SettingsBody(settings=SettingsOut.of(values, razorpay_key_id=key_id)))


@router.put("", operation_id="cms_update_settings")
@router.put("/", include_in_schema=False)
async def update_settings(
    body: SettingsIn, principal: SettingsManage, session: SessionDep, key_id: RazorpayKeyId
) -> Envelope[SettingsBody]:
    values = await system_settings.update_settings(session, principal, body.changes())
    return Envelope(
        message="Settings updated",
        data=SettingsBody(settings=SettingsOut.of(values, razorpay_key_id=key_id)),
    )
