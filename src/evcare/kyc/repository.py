"""Every KYC query. Only ``flush()``: the caller owns the transaction."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.pagination import Page, PageParams
from evcare.kyc.models import KycStatus, KycSubmission


async def of_user(session: AsyncSession, user_id: int) -> list[KycSubmission]:
    """A user's submissions, newest first."""
    rows = await session.scalars(
        select(KycSubmission)
        .where(KycSubmission.user_id == user_id)
        .order_by(KycSubmission.submitted_at.desc(), KycSubmission.id.desc())
    )
    return list(rows.all())


async def pending_of(session: AsyncSession, user_id: int) -> KycSubmission | None:
    return await session.scalar(
        select(KycSubmission)
        .where(KycSubmission.user_id == user_id, KycSubmission.status == KycStatus.PENDING)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def listing(
    session: AsyncSession, params: PageParams, *, status: str | None
) -> Page[KycSubmission]:
    """Every submission (of ``status``), oldest first: the review queue's order."""
    query = select(KycSubmission)
    if status is not None:
        query = query.where(KycSubmission.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(KycSubmission.submitted_at, KycSubmission.id)
        .offset(params.offset)
        .limit(params.limit)
    )
    return Page(list(rows.all()), int(total or 0), params)
