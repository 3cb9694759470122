"""Short garbage-collector pauses in a process that holds many long-lived objects.

CPython's cycle collector runs a full collection whenever the objects promoted into its
oldest generation outnumber a quarter of those that survived the last full one. One
EVCare process holding 10,000 charger connections tracks ~2.4 million objects that live
as long as their connection, and its message traffic promotes short-lived objects (a
message in flight survives a young collection or two) fast enough to start a full
collection about every 20 s. Each walks all 2.4 million objects: 1.6 s on the
development VM during which no charger is answered (``bench/ocpp_load.py``; p99 2.2 s).

The :class:`GcPacer` moves everything that exists into the permanent generation
(``gc.freeze()``, which costs nothing) every ``interval`` seconds, so the collector's own
collections only walk what is newer than that. Frozen objects are still freed by
reference counting when they die; only reference cycles that die while frozen wait. To
bound those, when the process's allocated memory blocks have grown by a quarter since the
last full collection, the pacer unfreezes and runs one full collection: CPython's own
amortised rule, applied to what is still alive rather than to what was promoted. So a
steady process never pays a full collection, and a growing one pays about as often as
CPython would have made it pay.

One pacer per process (the collector is process state); ``EVCARE_GC_FREEZE_SECONDS=0``
leaves the collector as CPython configures it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import time
from collections.abc import Callable

log = logging.getLogger("evcare.gc")

# A full collection when what is alive has grown by this factor since the last one.
GROWTH = 1.25


class GcPacer:
    def __init__(
        self,
        interval: float,
        *,
        growth: float = GROWTH,
        allocated: Callable[[], int] = sys.getallocatedblocks,
    ) -> None:
        self.interval = interval
        self.growth = growth
        self._allocated = allocated
        self._baseline: int | None = None
        self.full_collections = 0

    def tick(self) -> bool:
        """Freeze what exists; first a full collection if the heap grew enough. Whether
        a full collection ran."""
        allocated = self._allocated()
        full = self._baseline is not None and allocated > self._baseline * self.growth
        if full:
            started = time.perf_counter()
            gc.unfreeze()
            collected = gc.collect()
            self.full_collections += 1
            log.info(
                "full collection: %d unreachable, %.0f ms",
                collected,
                (time.perf_counter() - started) * 1000,
            )
        if full:
            self._baseline = self._allocated()
        elif self._baseline is None:
            self._baseline = allocated
        gc.freeze()
        return full

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.tick()


_task: asyncio.Task[None] | None = None
_pacer: GcPacer | None = None
_holders = 0


async def start(interval: float) -> None:
    """Pace the collector from the running event loop until the last :func:`stop`; with
    several holders, at the shortest interval asked for."""
    global _task, _pacer, _holders
    if interval <= 0:
        return
    _holders += 1
    if _pacer is not None:
        _pacer.interval = min(_pacer.interval, interval)
    loop = asyncio.get_running_loop()
    if _task is None or _task.done() or _task.get_loop() is not loop:
        _pacer = GcPacer(interval if _pacer is None else _pacer.interval)
        _task = loop.create_task(_pacer.run(), name="evcare-gc-pacer")


async def stop(interval: float) -> None:
    """Release one :func:`start`; the last one stops the pacer and unfreezes everything
    so the collector sees all objects again."""
    global _task, _pacer, _holders
    if interval <= 0 or _holders == 0:
        return
    _holders -= 1
    if _holders == 0:
        if _task is not None and _task.get_loop() is asyncio.get_running_loop():
            _task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await _task
        _task = _pacer = None
        gc.unfreeze()
