"""Group commit of chargers' messages: one transaction for what waits together, and a
failing message fails only its own caller."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.models import Charger
from evcare.core.runtime import Runtime
from evcare.ocpp.writer import GroupWriter
from tests.factories.ocpp import make_charger


def _rename(
    charger_id: int, name: str, *, then_fail: bool = False
) -> Callable[[AsyncSession], Awaitable[str]]:
    async def work(session: AsyncSession) -> str:
        await session.execute(update(Charger).where(Charger.id == charger_id).values(name=name))
        if then_fail:
            raise ValueError("this message is refused")
        return name

    return work


async def _names(runtime: Runtime, ids: list[int]) -> list[str]:
    async with runtime.sessionmaker() as session:
        rows = await session.execute(select(Charger.id, Charger.name).where(Charger.id.in_(ids)))
        by_id = {charger_id: name for charger_id, name in rows}
    return [by_id[i] for i in ids]


async def test_messages_waiting_together_are_committed_in_one_transaction(
    runtime: Runtime,
) -> None:
    chargers = [await make_charger(runtime) for _ in range(3)]
    commits: list[int] = []
    writer = GroupWriter(runtime.sessionmaker, after_commit=lambda: commits.append(1))
    answers = await asyncio.gather(
        *(writer.run(_rename(c.id, f"batched {i}")) for i, c in enumerate(chargers))
    )
    assert answers == ["batched 0", "batched 1", "batched 2"]
    assert len(commits) == 1
    assert await _names(runtime, [c.id for c in chargers]) == answers


async def test_a_failing_message_fails_alone_and_keeps_nothing(runtime: Runtime) -> None:
    first, failing, last = [await make_charger(runtime) for _ in range(3)]
    before = (await _names(runtime, [failing.id]))[0]
    writer = GroupWriter(runtime.sessionmaker, after_commit=lambda: None)
    answers = await asyncio.gather(
        writer.run(_rename(first.id, "kept 1")),
        writer.run(_rename(failing.id, "not kept", then_fail=True)),
        writer.run(_rename(last.id, "kept 2")),
        return_exceptions=True,
    )
    assert answers[0] == "kept 1" and answers[2] == "kept 2"
    assert isinstance(answers[1], ValueError)
    assert await _names(runtime, [first.id, failing.id, last.id]) == ["kept 1", before, "kept 2"]


async def test_a_caller_that_gave_up_before_its_turn_changes_nothing(runtime: Runtime) -> None:
    charger = await make_charger(runtime)
    before = (await _names(runtime, [charger.id]))[0]
    writer = GroupWriter(runtime.sessionmaker, after_commit=lambda: None)
    given_up = asyncio.ensure_future(writer.run(_rename(charger.id, "too late")))
    await asyncio.sleep(0)  # queued, the writer not yet run
    given_up.cancel()
    with pytest.raises(asyncio.CancelledError):
        await given_up

    async def name_now(session: AsyncSession) -> str | None:
        return await session.scalar(select(Charger.name).where(Charger.id == charger.id))

    assert await writer.run(name_now) == before
