"""Every query on charging cards (id tags): who holds which, and what a card has running."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.sessions.models import ChargingSession, IdTag, SessionStatus
from evcare.core.pagination import Page, PageParams
from evcare.identity.models import User


async def get_id_tag(
    session: AsyncSession, token: str, *, lock: bool = False
) -> tuple[IdTag, User] | None:
    """The card presented as ``token`` and its holder; ``lock``: the card's row is held
    until commit (two chargers starting with one card count its sessions in turn)."""
    query = select(IdTag, User).join(User, User.id == IdTag.user_id).where(IdTag.token == token)
    if lock:
        query = query.with_for_update(of=IdTag)
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row[0], row[1])


async def by_id(session: AsyncSession, tag_id: int, *, lock: bool = False) -> IdTag | None:
    query = select(IdTag).where(IdTag.id == tag_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def by_token(session: AsyncSession, token: str) -> IdTag | None:
    return await session.scalar(select(IdTag).where(IdTag.token == token))


async def parent_tokens(session: AsyncSession, parent_ids: set[int]) -> dict[int, str]:
    """The token of each parent card key."""
    if not parent_ids:
        return {}
    rows = await session.execute(select(IdTag.id, IdTag.token).where(IdTag.id.in_(parent_ids)))
    return {key: token for key, token in rows.all()}


async def page_of(
    session: AsyncSession,
    params: PageParams,
    *,
    user_id: int | None = None,
    status: str | None = None,
    search: str | None = None,
) -> Page[IdTag]:
    """Cards newest first: one user's (``user_id``) or everyone's, filtered."""
    conditions: list[ColumnElement[bool]] = []
    if user_id is not None:
        conditions.append(IdTag.user_id == user_id)
    if status is not None:
        conditions.append(IdTag.status == status)
    if search:
        pattern = f"%{search.lower()}%"
        conditions.append(
            or_(func.lower(IdTag.token).like(pattern), func.lower(IdTag.label).like(pattern))
        )
    total = await session.scalar(select(func.count()).select_from(IdTag).where(*conditions))
    rows = await session.scalars(
        select(IdTag)
        .where(*conditions)
        .order_by(IdTag.id.desc())
        .offset(params.offset)
        .limit(params.limit)
    )
    return Page(list(rows), int(total or 0), params)


async def running_sessions(
    session: AsyncSession, token: str, *, charger_id: int | None, connector_id: int | None
) -> int:
    """Active sessions started with ``token``, other than one on the given connector (a
    replayed start, or the stale session a new transaction there closes)."""
    query = select(func.count()).where(
        ChargingSession.id_tag == token, ChargingSession.status == SessionStatus.ACTIVE
    )
    if charger_id is not None and connector_id is not None:
        query = query.where(
            or_(
                ChargingSession.charger_id != charger_id,
                ChargingSession.connector_id != connector_id,
            )
        )
    return int(await session.scalar(query) or 0)
