"""The periodic check for chargers that vanished (docs/ocpp.md "Chargers that vanish").

A charger whose socket closed is marked Offline by its connection; one whose process
died with it (or whose server died) is never marked. Every node runs this check every
``EVCARE_OCPP_VANISHED_CHECK_SECONDS``: a charger not heard from for
``EVCARE_OCPP_OFFLINE_GRACE_SECONDS`` is marked Offline and its active sessions
interrupted. The check is idempotent, so several nodes may run it at once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from evcare.charging.sessions import service as sessions
from evcare.core.background import start_task, stop_task
from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime

log = logging.getLogger("evcare.ocpp")

_TASK_KEY = "ocpp.vanished_check"


async def check_once(runtime: Runtime) -> int:
    """Mark vanished chargers and their sessions now; how many sessions were marked."""
    silent_since = utcnow() - timedelta(seconds=runtime.settings.ocpp_offline_grace_seconds)
    async with runtime.sessionmaker() as session:
        marked = await sessions.mark_vanished_chargers(session, silent_since=silent_since)
        await session.commit()
    runtime.outbox.wake()
    return marked


async def _check_periodically(runtime: Runtime) -> None:
    while True:
        await asyncio.sleep(runtime.settings.ocpp_vanished_check_seconds)
        try:
            marked = await check_once(runtime)
        except Exception as error:
            log.warning("vanished-charger check failed (%s); will retry", type(error).__name__)
            continue
        if marked:
            log.info("%d sessions of vanished chargers marked interrupted", marked)


async def start(runtime: Runtime) -> None:
    start_task(
        runtime, _TASK_KEY, lambda: _check_periodically(runtime), name="evcare-ocpp-vanished"
    )


async def stop(runtime: Runtime) -> None:
    await stop_task(runtime, _TASK_KEY)
