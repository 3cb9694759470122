"""A process's background tasks (periodic checks and jobs), one per key per runtime."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from evcare.core.runtime import Runtime


def start_task(
    runtime: Runtime, key: str, run: Callable[[], Coroutine[Any, Any, None]], *, name: str
) -> None:
    """Start ``run()`` as the runtime's task ``key`` unless it is running already."""
    if key not in runtime.extras:
        runtime.extras[key] = asyncio.create_task(run(), name=name)


async def stop_task(runtime: Runtime, key: str) -> None:
    """Cancel the runtime's task ``key`` (if any) and wait for it to end."""
    task = runtime.extras.pop(key, None)
    if isinstance(task, asyncio.Task):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
