"""System settings: defaults, the values in force, and audited changes.

Values are stored in domain units (minor units for money, basis points for percents,
minutes and days as integers); a key without a row reads as its default. Every change
writes a :class:`SettingChange` row and an ``operations.settings_changed`` event in the
same transaction, so the audit trail holds exactly what was committed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import FieldError, ValidationFailed
from evcare.core.events import publish
from evcare.identity.principal import Principal
from evcare.operations.settings_models import SettingChange, SystemSetting

SETTINGS_CHANGED = "operations.settings_changed"


@dataclass(frozen=True)
class SystemSettings:
    """Everything EV-CMS documents under ``settings``, in domain units (currency INR)."""

    site_name: str = "EVCare"
    support_email: str = "support@evcare.example"
    support_phone: str = "+911800000000"
    platform_fee_basis_points: int = 0
    gst_basis_points: int = 1800
    default_price_per_kwh_minor: int = 1800
    cancellation_window_minutes: int = 30
    max_advance_booking_days: int = 7
    reservation_fee_minor: int = 5000
    min_wallet_balance_minor: int = 10000
    max_wallet_balance_minor: int = 1_000_000
    # Support SLA (docs/support.md): minutes to the first support reply and to resolution,
    # per ticket priority.
    support_first_response_minutes_high: int = 60
    support_first_response_minutes_medium: int = 4 * 60
    support_first_response_minutes_low: int = 24 * 60
    support_resolution_minutes_high: int = 24 * 60
    support_resolution_minutes_medium: int = 3 * 24 * 60
    support_resolution_minutes_low: int = 7 * 24 * 60
    # The network's time zone (IANA name): where analytics' days, weeks and months begin.
    time_zone: str = "Asia/Kolkata"
    # The workshops' time zone (IANA name): RevCare slots are shown and taken in it.
    workshop_time_zone: str = "Asia/Kolkata"
    currency: str = "INR"


DEFAULTS = SystemSettings()
KEYS = frozenset(f.name for f in fields(SystemSettings)) - {"currency"}


def _apply(rows: list[SystemSetting]) -> SystemSettings:
    stored = {row.key: row.value for row in rows if row.key in KEYS}
    return replace(DEFAULTS, **stored)


async def current(session: AsyncSession) -> SystemSettings:
    """The settings in force (defaults where nothing was set)."""
    return _apply(list((await session.scalars(select(SystemSetting))).all()))


_MIN_WALLET_BALANCE = select(SystemSetting.value).where(
    SystemSetting.key == "min_wallet_balance_minor"
)
# For a statement that needs the setting too (a wallet debit's RETURNING): no extra round
# trip. Reads as None when the default is in force.
MIN_WALLET_BALANCE_VALUE = _MIN_WALLET_BALANCE.scalar_subquery().label("min_wallet_balance")


async def min_wallet_balance_minor(session: AsyncSession) -> int:
    """One setting, one primary-key read: what every wallet debit checks."""
    return min_wallet_balance_of(await session.scalar(_MIN_WALLET_BALANCE))


def min_wallet_balance_of(value: Any) -> int:
    """The stored value of the setting (or None) as minor units."""
    return DEFAULTS.min_wallet_balance_minor if value is None else int(value)


async def update_settings(
    session: AsyncSession, principal: Principal, changes: dict[str, Any]
) -> SystemSettings:
    """Apply ``changes`` (domain keys -> values); each changed value is audited.

    Rule across fields: the minimum wallet balance cannot exceed the maximum."""
    unknown = set(changes) - KEYS
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}")
    rows = {
        row.key: row
        for row in (await session.scalars(select(SystemSetting).with_for_update())).all()
    }
    before = _apply(list(rows.values()))
    after = replace(before, **changes)
    if after.min_wallet_balance_minor > after.max_wallet_balance_minor:
        raise ValidationFailed(
            "minWalletBalance cannot exceed maxWalletBalance",
            fields=[
                FieldError(
                    "payment.minWalletBalance", "must not be more than payment.maxWalletBalance"
                )
            ],
        )
    now = utcnow()
    changed: list[str] = []
    for key, value in changes.items():
        old = getattr(before, key)
        if old == value:
            continue
        changed.append(key)
        if key in rows:
            await session.execute(
                update(SystemSetting)
                .where(SystemSetting.key == key)
                .values(value=value, updated_at=now, updated_by=principal.user_id)
            )
        else:
            session.add(
                SystemSetting(key=key, value=value, updated_at=now, updated_by=principal.user_id)
            )
        session.add(
            SettingChange(
                key=key,
                old_value=old,
                new_value=value,
                changed_by=principal.user_id,
                changed_at=now,
            )
        )
    if changed:
        await session.flush()
        await publish(
            session, SETTINGS_CHANGED, {"userId": principal.user_id, "keys": sorted(changed)}
        )
    return after


async def changes_of(session: AsyncSession, key: str | None = None) -> list[SettingChange]:
    """The audit trail, newest first (optionally of one key)."""
    query = select(SettingChange).order_by(SettingChange.id.desc())
    if key is not None:
        query = query.where(SettingChange.key == key)
    return list((await session.scalars(query)).all())
