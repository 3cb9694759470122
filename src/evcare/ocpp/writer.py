"""Group commit for the chargers' messages: one writer, one transaction per batch.

Every charger message that changes the database used to be its own transaction on its
own pooled connection; on SQLite those connections queue for the single write lock
(its busy handler sleeps), and every message paid a BEGIN/COMMIT of its own. Here the
handlers of all connections hand their work to one :class:`GroupWriter` per process:

- the work waiting when the writer is free is run in one session, one piece after the
  other, then committed once, and only then is each caller answered. So a charger's
  CALLRESULT still leaves only after its data (and the events announcing it, written
  in that same transaction) is committed: batching changes no guarantee;
- if any piece raises, or the COMMIT fails, the whole batch is rolled back and each
  piece runs again alone in its own transaction (exactly the unbatched path), so one
  bad piece fails only its own caller. No SAVEPOINTs: on SQLite a savepoint opens the
  transaction at the first SELECT, and the later write then fails at once with
  "database is locked" when another connection wrote in between;
- one writer at a time means SQLite writes from chargers are serialised through one
  connection instead of contending for the lock; on PostgreSQL it saves round trips;
- no long-lived task: the first caller finding the writer idle starts a drain task that
  ends when nothing is waiting (nothing to start or stop with the app);
- the frequent messages (Heartbeat, MeterValues) are *grouped*: each brings an item and a
  function that does the work of a whole list of items set-based (one UPDATE for all the
  batch's heartbeats, one INSERT for all its meter readings), called once per batch with
  the items of all its chargers. That is what lets one writer keep up with 10,000
  chargers: the statements per batch no longer grow with the messages in it. Grouped
  work runs after the batch's other pieces; that reorders only different chargers'
  work, because a batch holds at most one piece per charger (its connection works off
  one CALL at a time, and a second piece of the same key starts the next batch).

A caller that gives up (its ``DB_TIMEOUT``) before its piece was started is skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

if TYPE_CHECKING:
    from evcare.core.runtime import Runtime

log = logging.getLogger("evcare.ocpp")

Work = Callable[[AsyncSession], Awaitable[Any]]
# The work of many items at once: one result per item, in order.
Together = Callable[[AsyncSession, list[Any]], Awaitable[list[Any]]]

# A batch is closed at this many pieces (bounds one transaction's size and lock time).
MAX_BATCH = 200


@dataclass
class _Piece:
    done: asyncio.Future[Any]
    key: object
    work: Work | None = None
    together: Together | None = None
    item: Any = None


class GroupWriter:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        after_commit: Callable[[], None],
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._after_commit = after_commit
        self._max_batch = max_batch
        self._waiting: list[_Piece] = []
        self._task: asyncio.Task[None] | None = None

    async def run(self, work: Work, *, key: object = None) -> Any:
        """Run ``work`` in a committed transaction shared with others; its result.

        ``key`` (the charger) keeps two pieces of the same key out of one batch."""
        return await self._enqueue(_Piece(self._future(), key, work=work))

    async def run_together(self, together: Together, item: Any, *, key: object) -> Any:
        """Have ``together`` do ``item`` with the batch's other items for it, committed;
        the result it gives for this item."""
        return await self._enqueue(_Piece(self._future(), key, together=together, item=item))

    @staticmethod
    def _future() -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    async def _enqueue(self, piece: _Piece) -> Any:
        self._waiting.append(piece)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="evcare-ocpp-writer")
        return await piece.done

    def _next_batch(self) -> list[_Piece]:
        """The waiting pieces up to ``max_batch`` or a second piece of one key."""
        keys: set[object] = set()
        taken = 0
        for piece in self._waiting[: self._max_batch]:
            if piece.key is not None:
                if piece.key in keys:
                    break
                keys.add(piece.key)
            taken += 1
        batch = self._waiting[:taken]
        del self._waiting[:taken]
        return [piece for piece in batch if not piece.done.done()]

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._next_batch()
            if batch:
                try:
                    await self._write(batch)
                except Exception as error:  # never leave a caller waiting
                    for piece in batch:
                        _settle(piece, error=error)

    async def _write(self, batch: list[_Piece]) -> None:
        values: dict[int, Any] = {}
        groups: dict[Together, list[int]] = {}
        try:
            async with self._sessionmaker() as session:
                for index, piece in enumerate(batch):
                    if piece.work is not None:
                        values[index] = await piece.work(session)
                    elif piece.together is not None:
                        groups.setdefault(piece.together, []).append(index)
                for together, indexes in groups.items():
                    results = await together(session, [batch[i].item for i in indexes])
                    values.update(zip(indexes, results, strict=True))
                await session.commit()
        except Exception as error:
            if len(batch) == 1:
                _settle(batch[0], error=error)
                return
            # Nothing of the batch was kept: each piece again, alone, as it would have
            # run without batching (the failing one fails on its own).
            log.info("charger batch not committed (%s); one by one", type(error).__name__)
            for piece in batch:
                await self._write([piece])
            return
        self._after_commit()
        for index, piece in enumerate(batch):
            _settle(piece, value=values.get(index))


def _settle(piece: _Piece, *, value: Any = None, error: BaseException | None = None) -> None:
    if piece.done.done():
        return
    if error is not None:
        piece.done.set_exception(error)
    else:
        piece.done.set_result(value)


_RUNTIME_KEY = "ocpp.group_writer"


def writer_of(runtime: Runtime) -> GroupWriter:
    """The process's writer for charger messages (one per runtime), created on first use."""
    writer = runtime.extras.get(_RUNTIME_KEY)
    if not isinstance(writer, GroupWriter):
        writer = GroupWriter(runtime.sessionmaker, after_commit=runtime.outbox.wake)
        runtime.extras[_RUNTIME_KEY] = writer
    return writer
