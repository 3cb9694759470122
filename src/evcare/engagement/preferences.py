"""Which notifications a user wants on which channel, and what that means for one notice.

The switches are EV-CMS's preferences object, one column each (``email_session_complete``):
``email`` (booking confirmation, session complete, payment receipt, promotions), ``push``
(booking reminder, session start, low balance), ``sms`` (booking confirmation, payment
confirmation) and ``in_app`` (all). A notice names its :class:`Subject`; the subject's
switches decide its channels. Security notices (a locked sign-in) have no subject: they
always go in-app and by email.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.engagement.notification_models import Channel, NotificationPreference
from evcare.identity.principal import Principal

# channel group -> its switches, as the preferences object names them (snake_case here).
SWITCHES: dict[str, tuple[str, ...]] = {
    "email": ("booking_confirmation", "session_complete", "payment_receipt", "promotions"),
    "push": ("booking_reminder", "session_start", "low_balance"),
    "sms": ("booking_confirmation", "payment_confirmation"),
    "in_app": ("all",),
}

Preferences = dict[str, dict[str, bool]]


class Subject(StrEnum):
    """What a notice is about, as far as the preferences are concerned."""

    BOOKING = "booking"  # booking confirmed, cancelled, its status moved
    BOOKING_REMINDER = "booking_reminder"
    SESSION_START = "session_start"
    SESSION_COMPLETE = "session_complete"
    PAYMENT = "payment"
    LOW_BALANCE = "low_balance"
    PROMOTION = "promotion"
    SYSTEM = "system"  # admin alerts: in-app only
    MAINTENANCE = "maintenance"  # an operator's charger: in-app and email


# The outside channels each subject may use, and the switch that allows each.
_OUTSIDE: dict[Subject, dict[Channel, str]] = {
    Subject.BOOKING: {
        Channel.EMAIL: "email_booking_confirmation",
        Channel.SMS: "sms_booking_confirmation",
    },
    Subject.SESSION_COMPLETE: {Channel.EMAIL: "email_session_complete"},
    Subject.PAYMENT: {
        Channel.EMAIL: "email_payment_receipt",
        Channel.SMS: "sms_payment_confirmation",
    },
    Subject.PROMOTION: {Channel.EMAIL: "email_promotions"},
}
# No email switch in the preferences object, but too important to keep to the app: a
# wallet that can no longer pay, work on an operator's charger.
_ALWAYS_EMAILED = {Subject.LOW_BALANCE, Subject.MAINTENANCE}


def defaults(user_id: int) -> NotificationPreference:
    """A user's preferences before they ever changed them (not added to the session)."""
    row = NotificationPreference(user_id=user_id)
    for group, names in SWITCHES.items():
        for name in names:
            column = f"{group}_{name}"
            setattr(row, column, NotificationPreference.__table__.c[column].default.arg)
    return row


async def preferences_of(session: AsyncSession, user_id: int) -> NotificationPreference:
    return await session.get(NotificationPreference, user_id) or defaults(user_id)


def as_groups(row: NotificationPreference) -> Preferences:
    return {
        group: {name: bool(getattr(row, f"{group}_{name}")) for name in names}
        for group, names in SWITCHES.items()
    }


async def get_preferences(session: AsyncSession, principal: Principal) -> Preferences:
    return as_groups(await preferences_of(session, principal.user_id))


async def update_preferences(
    session: AsyncSession, principal: Principal, *, changes: Preferences
) -> Preferences:
    """Set the switches named in ``changes`` (group -> switch -> on); the rest stay."""
    row = await session.get(NotificationPreference, principal.user_id)
    if row is None:
        row = defaults(principal.user_id)
        session.add(row)
    for group, values in changes.items():
        for name, on in values.items():
            if name in SWITCHES.get(group, ()):
                setattr(row, f"{group}_{name}", bool(on))
    row.updated_at = utcnow()
    await session.flush()
    return as_groups(row)


def channels_for(row: NotificationPreference, subject: Subject | None) -> list[Channel]:
    """The channels a notice about ``subject`` goes to for this user (in-app first)."""
    if subject is None:  # security: whatever the switches say
        return [Channel.IN_APP, Channel.EMAIL]
    channels = [Channel.IN_APP] if row.in_app_all else []
    if subject in _ALWAYS_EMAILED:
        channels.append(Channel.EMAIL)
    for channel, switch in _OUTSIDE.get(subject, {}).items():
        if getattr(row, switch):
            channels.append(channel)
    return channels
