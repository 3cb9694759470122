"""Every engagement query: CMS content entries, notifications and a user's inbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.pagination import Page, PageParams
from evcare.engagement.models import ContentEntry
from evcare.engagement.notification_models import (
    Channel,
    Notification,
    NotificationPreference,
)
from evcare.identity.models import Role, User, UserStatus

# (category names, negate): the categories a type filter keeps (or, negated, leaves out).
Categories = tuple[tuple[str, ...], bool]


async def get_content(session: AsyncSession, key: str) -> ContentEntry | None:
    query = select(ContentEntry).where(ContentEntry.key == key)
    return (await session.scalars(query)).one_or_none()


async def list_notifications(
    session: AsyncSession, *, user_id: int | None, category: str | None, limit: int
) -> list[Notification]:
    """Newest first; ``user_id`` None means everyone's (the service decides who may)."""
    query = select(Notification)
    if user_id is not None:
        query = query.where(Notification.user_id == user_id)
    if category:
        query = query.where(Notification.category == category)
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc())
    return list((await session.scalars(query.limit(limit))).all())


async def in_app_notification_for_event(
    session: AsyncSession, event_id: str
) -> Notification | None:
    """The in-app notification a committed outbox event produced, if any."""
    return await session.scalar(
        select(Notification)
        .where(Notification.source_event_id == event_id)
        .where(Notification.channel == Channel.IN_APP)
        .limit(1)
    )


def _inbox(user_id: int) -> Select[Notification]:
    return (
        select(Notification)
        .where(Notification.user_id == user_id)
        .where(Notification.channel == Channel.IN_APP)
    )


def _in_categories(query: Any, categories: Categories | None) -> Any:
    if categories is None:
        return query
    names, negate = categories
    test = Notification.category.in_(names)
    return query.where(~test if negate else test)


async def inbox_page(
    session: AsyncSession,
    params: PageParams,
    *,
    user_id: int,
    is_read: bool | None,
    categories: Categories | None,
) -> Page[Notification]:
    """A user's in-app notifications, newest first, filtered."""
    query = _in_categories(_inbox(user_id), categories)
    if is_read is not None:
        query = query.where(Notification.is_read.is_(is_read))
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset(params.offset)
        .limit(params.limit)
    )
    return Page(items=list(rows.all()), total=total, params=params)


async def unread_count(session: AsyncSession, user_id: int) -> int:
    query = _inbox(user_id).where(Notification.is_read.is_(False))
    return await session.scalar(select(func.count()).select_from(query.subquery())) or 0


async def inbox_item(session: AsyncSession, *, user_id: int, key: int) -> Notification | None:
    return await session.scalar(_inbox(user_id).where(Notification.id == key))


async def mark_all_read(session: AsyncSession, user_id: int) -> int:
    result = await session.execute(
        update(Notification)
        .where(Notification.user_id == user_id)
        .where(Notification.channel == Channel.IN_APP)
        .where(Notification.is_read.is_(False))
        .values(is_read=True)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def delete_inbox(session: AsyncSession, user_id: int, key: int | None = None) -> int:
    """Delete one (``key``) or all of a user's in-app notifications; how many went."""
    query = (
        delete(Notification)
        .where(Notification.user_id == user_id)
        .where(Notification.channel == Channel.IN_APP)
    )
    if key is not None:
        query = query.where(Notification.id == key)
    result = await session.execute(query.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def _audience() -> Select[int]:
    """Active, undeleted people (no integration service accounts) who did not switch
    in-app notifications off."""
    return (
        select(User.id)
        .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
        .where(User.status == UserStatus.ACTIVE)
        .where(User.deleted_at.is_(None))
        .where(User.role != Role.INTEGRATION)
        .where(
            or_(
                NotificationPreference.user_id.is_(None),
                NotificationPreference.in_app_all.is_(True),
            )
        )
    )


async def broadcast_audience(session: AsyncSession, *, after: int, limit: int) -> list[int]:
    """The next ``limit`` recipient ids of a broadcast to everyone, after ``after``."""
    query = _audience().where(User.id > after).order_by(User.id).limit(limit)
    return list((await session.scalars(query)).all())


async def count_broadcast_audience(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(_audience().subquery())) or 0


async def active_user_ids(
    session: AsyncSession, user_ids: list[int], *, wanting_in_app: bool = False
) -> list[int]:
    """Those of ``user_ids`` that are active, undeleted people (and, ``wanting_in_app``,
    did not switch in-app notifications off), ascending.

    The lists are looked up by key only (``id IN (...)``, at most 1000 at a time) and the
    rest is decided here: with the other conditions in the WHERE, PostgreSQL's generic
    plan for the prepared statement (used from its sixth run on) scans every live user
    for each of the thousand ids, 30x slower."""
    found: list[int] = []
    for start in range(0, len(user_ids), 1000):
        query = (
            select(
                User.id, User.status, User.deleted_at, User.role, NotificationPreference.in_app_all
            )
            .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
            .where(User.id.in_(user_ids[start : start + 1000]))
        )
        for key, status, deleted_at, role, in_app in await session.execute(query):
            if status != UserStatus.ACTIVE or deleted_at is not None or role == Role.INTEGRATION:
                continue
            if wanting_in_app and in_app is False:
                continue
            found.append(key)
    return sorted(found)


async def notifications_by_ids(session: AsyncSession, ids: list[int]) -> list[Notification]:
    if not ids:
        return []
    query = select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id)
    return list((await session.scalars(query)).all())
