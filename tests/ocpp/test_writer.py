"""Group commit of chargers' messages: one transaction for what waits together, and a
failing message fails only its own caller."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.chargers.models import Charger
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


def _rename_all(calls: list[list[tuple[int, str]]]) -> Callable[..., Awaitable[list[str]]]:
    """Grouped work: renames every (charger id, name) item of a batch in one UPDATE."""

    async def together(session: AsyncSession, items: list[tuple[int, str]]) -> list[str]:
        calls.append(items)
        await session.execute(
            update(Charger), [{"id": charger_id, "name": name} for charger_id, name in items]
        )
        if any(name == "refused" for _, name in items):
            raise ValueError("this item is refused")
        return [name for _, name in items]

    return together


async def test_grouped_items_of_a_batch_are_done_in_one_call(runtime: Runtime) -> None:
    chargers = [await make_charger(runtime) for _ in range(3)]
    calls: list[list[tuple[int, str]]] = []
    together = _rename_all(calls)
    writer = GroupWriter(runtime.sessionmaker, after_commit=lambda: None)
    answers = await asyncio.gather(
        writer.run(_rename(chargers[0].id, "alone"), key=chargers[0].id),
        *(
            writer.run_together(together, (c.id, f"grouped {i}"), key=c.id)
            for i, c in enumerate(chargers[1:])
        ),
    )
    assert answers == ["alone", "grouped 0", "grouped 1"]
    assert len(calls) == 1 and len(calls[0]) == 2
    assert await _names(runtime, [c.id for c in chargers]) == answers


async def test_a_second_piece_of_one_charger_waits_for_the_next_batch(runtime: Runtime) -> None:
    charger, other = await make_charger(runtime), await make_charger(runtime)
    calls: list[list[tuple[int, str]]] = []
    together = _rename_all(calls)
    writer = GroupWriter(runtime.sessionmaker, after_commit=lambda: None)
    answers = await asyncio.gather(
        writer.run_together(together, (charger.id, "first"), key=charger.id),
        writer.run_together(together, (other.id, "other"), key=other.id),
        writer.run_together(together, (charger.id, "second"), key=charger.id),
    )
    assert answers == ["first", "other", "second"]
    assert calls == [[(charger.id, "first"), (other.id, "other")], [(charger.id, "second")]]
    assert await _names(runtime, [charger.id, other.id]) == ["second", "other"]


async def test_a_refused_grouped_item_fails_alone(runtime: Runtime) -> None:
    kept, refused = await make_charger(runtime), await make_charger(runtime)
    before = (await _names(runtime, [refused.id]))[0]
    writer = GroupWriter(runtime.sessionmaker, after_commit=lambda: None)
    together = _rename_all([])
    answers = await asyncio.gather(
        writer.run_together(together, (kept.id, "kept"), key=kept.id),
        writer.run_together(together, (refused.id, "refused"), key=refused.id),
        return_exceptions=True,
    )
    assert answers[0] == "kept" and isinstance(answers[1], ValueError)
    assert await _names(runtime, [kept.id, refused.id]) == ["kept", before]
