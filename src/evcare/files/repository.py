"""Every upload query. Only ``flush()``: the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.files.models import Upload


async def add(session: AsyncSession, upload: Upload) -> Upload:
    session.add(upload)
    await session.flush()
    return upload


async def by_name(session: AsyncSession, *, kind: str, stored_name: str) -> Upload | None:
    return await session.scalar(
        select(Upload).where(Upload.kind == kind, Upload.stored_name == stored_name)
    )


async def by_names(session: AsyncSession, names: Sequence[tuple[str, str]]) -> list[Upload]:
    """The uploads among ``(kind, stored_name)`` pairs that exist."""
    if not names:
        return []
    stored = {name for _, name in names}
    rows = (await session.scalars(select(Upload).where(Upload.stored_name.in_(stored)))).all()
    wanted = set(names)
    return [row for row in rows if (row.kind, row.stored_name) in wanted]


async def by_ids(session: AsyncSession, ids: Sequence[int]) -> dict[int, Upload]:
    if not ids:
        return {}
    rows = (await session.scalars(select(Upload).where(Upload.id.in_(set(ids))))).all()
    return {row.id: row for row in rows}
