"""The periodic maintenance-due check: time passes without any event, so every
``CHECK_SECONDS`` each fleet vehicle whose plan counts months is checked
(:func:`evcare.fleet.maintenance_due.check_vehicle`). Due points are unique per
vehicle, so several nodes may run it at once: the loser of a race raises nothing.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import IntegrityError

from evcare.core.background import start_task, stop_task
from evcare.core.runtime import Runtime
from evcare.fleet import maintenance_due, repository

log = logging.getLogger("evcare.fleet")

CHECK_SECONDS = 3600.0
_TASK_KEY = "fleet.maintenance_due"


async def check_once(runtime: Runtime) -> int:
    """Check every vehicle with a months plan now, each in its own short transaction;
    how many due points were raised."""
    async with runtime.sessionmaker() as session:
        vehicle_ids = await repository.vehicles_with_months_plans(session)
    raised = 0
    for vehicle_id in vehicle_ids:
        async with runtime.sessionmaker() as session:
            vehicle = await repository.lock_vehicle(session, vehicle_id)
            if vehicle is None:
                continue  # deleted since
            try:
                raised += len(await maintenance_due.check_vehicle(session, vehicle))
                await session.commit()
            except IntegrityError:
                await session.rollback()  # raised by another node meanwhile
    if raised:
        runtime.outbox.wake()
    return raised


async def _check_periodically(runtime: Runtime) -> None:
    while True:
        await asyncio.sleep(CHECK_SECONDS)
        try:
            await check_once(runtime)
        except Exception as error:
            log.warning("maintenance-due check failed (%s); will retry", type(error).__name__)


async def start(runtime: Runtime) -> None:
    start_task(runtime, _TASK_KEY, lambda: _check_periodically(runtime), name="evcare-fleet-due")


async def stop(runtime: Runtime) -> None:
    await stop_task(runtime, _TASK_KEY)
