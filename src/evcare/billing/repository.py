"""Every billing query: GST rate history."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing.models import GstRate
from evcare.core.pagination import PageParams


async def current_gst_rate(session: AsyncSession) -> GstRate | None:
    query = select(GstRate).order_by(GstRate.effective_at.desc(), GstRate.id.desc()).limit(1)
    return (await session.scalars(query)).first()


async def gst_history(session: AsyncSession, params: PageParams) -> list[GstRate]:
    query = select(GstRate).order_by(GstRate.effective_at.desc(), GstRate.id.desc())
    rows = await session.scalars(query.offset(params.offset).limit(params.limit))
    return list(rows.all())
