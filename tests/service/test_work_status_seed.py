"""The migration seeds the work-status master with stable ids on a fresh database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from evcare.core.db import create_engine, create_sessionmaker
from evcare.core.migrate import upgrade
from evcare.service.models import WorkStatus


async def test_a_fresh_database_has_the_work_statuses_with_in_progress_as_7(
    tmp_path: Path,
) -> None:
    # Its own database file: the shared test database is emptied between tests.
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    await upgrade(url)
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = (await session.scalars(select(WorkStatus).order_by(WorkStatus.id))).all()
    finally:
        await engine.dispose()
    by_id = {row.id: row.code for row in rows}
    assert by_id[1] == "pending"
    assert by_id[7] == "in-progress"
    assert {"waiting-for-parts", "completed", "cancelled"} <= set(by_id.values())
    assert [row.code for row in rows if row.is_final] == ["completed", "delivered", "cancelled"]
    assert [row.sort_order for row in rows] == sorted(row.sort_order for row in rows)
