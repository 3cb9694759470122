"""A user's in-app notifications (EV-CMS ``/notifications``): read, filtered by read state
and type, marked read, deleted. Only one's own: anyone else's is a 404.

A notification's *type* is EV-CMS's five: ``booking``, ``session``, ``payment``,
``system``, ``promotion``. Categories map onto them (``wallet`` is a payment matter);
any other category (``security``, ``maintenance`` ...) is a ``system`` notice.
Deleting removes the inbox entry; the email and SMS records of the same notice stay in
the delivery log.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.errors import NotFound
from evcare.core.ids import key_or_not_found
from evcare.core.pagination import Page, PageParams
from evcare.engagement import repository
from evcare.engagement.notification_models import Notification
from evcare.identity.principal import Principal

TYPES = ("booking", "session", "payment", "system", "promotion")
_TYPE_OF_CATEGORY = {
    "booking": "booking",
    "session": "session",
    "payment": "payment",
    "wallet": "payment",
    "promotion": "promotion",
    "system": "system",
}


def type_of(category: str) -> str:
    return _TYPE_OF_CATEGORY.get(category, "system")


def _categories(kind: str | None) -> repository.Categories | None:
    if kind is None:
        return None
    named = tuple(c for c, t in _TYPE_OF_CATEGORY.items() if t == kind)
    if kind == "system":  # everything no other type claims
        return tuple(c for c, t in _TYPE_OF_CATEGORY.items() if t != "system"), True
    return named, False


@dataclass(frozen=True)
class Inbox:
    page: Page[Notification]
    unread: int


async def list_inbox(
    session: AsyncSession,
    principal: Principal,
    *,
    params: PageParams,
    is_read: bool | None = None,
    kind: str | None = None,
) -> Inbox:
    """The caller's notifications, newest first, and how many of all of them are unread."""
    page = await repository.inbox_page(
        session, params, user_id=principal.user_id, is_read=is_read, categories=_categories(kind)
    )
    return Inbox(page=page, unread=await repository.unread_count(session, principal.user_id))


async def get_notification(
    session: AsyncSession, principal: Principal, notification_id: int | str
) -> Notification:
    key = key_or_not_found(notification_id, what="Notification")
    row = await repository.inbox_item(session, user_id=principal.user_id, key=key)
    if row is None:
        raise NotFound(f"Notification {notification_id} not found")
    return row


async def mark_read(
    session: AsyncSession, principal: Principal, notification_id: int | str
) -> Notification:
    row = await get_notification(session, principal, notification_id)
    row.is_read = True
    await session.flush()
    return row


async def mark_all_read(session: AsyncSession, principal: Principal) -> int:
    """How many were unread."""
    return await repository.mark_all_read(session, principal.user_id)


async def delete_notification(
    session: AsyncSession, principal: Principal, notification_id: int | str
) -> None:
    row = await get_notification(session, principal, notification_id)
    await repository.delete_inbox(session, principal.user_id, row.id)


async def delete_all(session: AsyncSession, principal: Principal) -> int:
    return await repository.delete_inbox(session, principal.user_id)
