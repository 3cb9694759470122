"""The collector pacer: what exists is frozen, and a grown heap gets one full collection."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest
from httpx import ASGITransport, AsyncClient

from evcare.app import create_app
from evcare.core import gcpacing
from evcare.core.gcpacing import GcPacer
from tests.conftest import make_settings


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cycle collector frees it


def _dead_cycle() -> weakref.ref[_Node]:
    return weakref.ref(_Node())


def test_a_frozen_cycle_waits_and_a_grown_heap_collects_it() -> None:
    sizes = iter([1000, 1200, 1300, 1300])
    pacer = GcPacer(10, allocated=lambda: next(sizes))
    try:
        pacer.tick()  # baseline 1000, freezes
        ref = _dead_cycle()
        assert pacer.tick() is False  # 1200 is less than a quarter more: freeze only
        assert gc.get_freeze_count() > 0
        gc.collect()
        assert ref() is not None  # frozen: the collector does not walk it
        assert pacer.tick() is True  # 1300 > 1250: unfreeze, collect, freeze again
        assert ref() is None
        assert pacer.full_collections == 1
    finally:
        gc.unfreeze()


async def test_the_app_paces_while_running_and_unfreezes_when_stopped(database_url: str) -> None:
    settings = make_settings(database_url, gc_freeze_seconds=0.05)
    app = create_app(settings)
    gc.unfreeze()  # whatever an earlier test's pacer froze
    async with app.router.lifespan_context(app):
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
            assert (await client.get("/healthz")).status_code == 200
        ref = _dead_cycle()
        for _ in range(100):
            if gc.get_freeze_count() > 0:
                break
            await asyncio.sleep(0.01)
        assert gc.get_freeze_count() > 0
    if gcpacing._holders == 0:  # no other runtime of this test session holds it
        assert gc.get_freeze_count() == 0
        gc.collect()
        assert ref() is None


@pytest.mark.parametrize("seconds", [-1, 3601])
def test_the_interval_is_bounded(database_url: str, seconds: float) -> None:
    with pytest.raises(ValueError, match="gc_freeze_seconds"):
        make_settings(database_url, gc_freeze_seconds=seconds)
