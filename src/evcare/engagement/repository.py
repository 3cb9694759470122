"""Every engagement query: CMS content entries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.engagement.models import ContentEntry


async def get_content(session: AsyncSession, key: str) -> ContentEntry | None:
    query = select(ContentEntry).where(ContentEntry.key == key)
    return (await session.scalars(query)).one_or_none()
