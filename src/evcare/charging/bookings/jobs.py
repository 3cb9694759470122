"""The bookings' periodic job: reminders, charger reservations and no-shows.

Every node runs :func:`run_once` every ``JOB_SECONDS``; each step claims its rows with
one conditional UPDATE, so with several server processes each booking is handled by one:

- **Reminders**: ``UPDATE ... SET reminder_sent_at = now WHERE reminder_sent_at IS NULL
  AND scheduled_at <= now + 15 min ... RETURNING id``, and the ``booking-reminder``
  event is published into the outbox **in the same transaction**. PostgreSQL re-checks a
  row a concurrent UPDATE changed, so a second node matches nothing; if the process dies
  before commit both roll back and the next run sends it. Once, exactly.
- **Reservations**: ``ReserveNow`` goes out ``RESERVE_LEAD`` before the window begins
  (an OCPP reservation starts when it is made, so making it days ahead would block the
  connector until then). The call is outside the database, so the claim is a lease:
  ``reservation_lease_until = now + RESERVE_LEASE``; the charger's answer is recorded
  when it comes; a node that dies mid-call loses only the lease, and a charger that is
  not connected is asked again after it.
- **No-shows**: a confirmed booking not started ``NO_SHOW_GRACE`` after its scheduled
  time is cancelled as a no-show (the fee is kept), logged, and its reservation on the
  charger cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from evcare.charging.bookings import repository, reservations
from evcare.charging.bookings.documents import booking_document
from evcare.charging.bookings.events import BOOKING_REMINDER
from evcare.charging.bookings.models import ReservationStatus
from evcare.charging.bookings.service import release_on_charger, view_of
from evcare.charging.chargers.port import ChargerCommands
from evcare.core.background import start_task, stop_task
from evcare.core.clock import utcnow
from evcare.core.events import publish
from evcare.core.runtime import Runtime

log = logging.getLogger("evcare.bookings")

JOB_SECONDS = 30.0
REMINDER_BEFORE = timedelta(minutes=15)
RESERVE_LEAD = timedelta(minutes=5)
RESERVE_LEASE = timedelta(seconds=60)
NO_SHOW_GRACE = timedelta(minutes=15)
_TASK_KEY = "charging.bookings_job"


@dataclass(frozen=True)
class Outcome:
    reminded: list[int]
    reserved: list[int]
    no_shows: list[int]


async def send_reminders(runtime: Runtime) -> list[int]:
    now = utcnow()
    async with runtime.sessionmaker() as session:
        claimed = await repository.claim_reminders(session, now=now, due=now + REMINDER_BEFORE)
        for booking_id in claimed:
            row = await repository.get(session, booking_id, fresh=True)
            assert row is not None
            repository.add_log(session, booking_id, "reminder-sent", now)
            await session.flush()
            document = booking_document(await view_of(session, row))
            await publish(
                session,
                BOOKING_REMINDER,
                {"userId": row.user_id, "bookingId": row.id, "booking": document},
            )
        await session.commit()
    if claimed:
        runtime.outbox.wake()
    return claimed


async def reserve_on_chargers(runtime: Runtime, registry: ChargerCommands) -> list[int]:
    """ReserveNow for the bookings whose window begins soon; the ids the charger holds."""
    now = utcnow()
    secret = runtime.settings.secret_key.get_secret_value()
    async with runtime.sessionmaker() as session:
        claimed = await repository.claim_reservations(
            session, now=now, due=now + RESERVE_LEAD, lease_until=now + RESERVE_LEASE
        )
        await session.commit()
    held: list[int] = []
    for booking_id in claimed:
        async with runtime.sessionmaker() as session:
            row = await repository.get(session, booking_id)
            connector = (
                None if row is None else await repository.connector(session, row.connector_id)
            )
            charger = (
                None
                if connector is None or connector.charger_id is None
                else await repository.charger(session, connector.charger_id)
            )
            await session.commit()  # no transaction open while the charger answers
            if row is None or connector is None or charger is None:
                continue
            status = await reservations.reserve(
                registry, secret=secret, booking=row, charger=charger, connector=connector
            )
            if status is None:
                continue  # not reached: asked again once the lease runs out
            outcome = (
                ReservationStatus.ACCEPTED if status == "Accepted" else ReservationStatus.REFUSED
            )
            recorded = await repository.set_reservation(
                session, booking_id, outcome, only_if_confirmed=True
            )
            if recorded:
                event = "reserved-on-charger" if status == "Accepted" else f"charger-{status}"
                repository.add_log(session, booking_id, event[:60], utcnow())
                held += [booking_id] if status == "Accepted" else []
            await session.commit()
            if not recorded and status == "Accepted":
                # Cancelled while ReserveNow was on its way: release the connector again.
                await reservations.cancel(registry, booking=row, charger=charger)
    return held


async def release_no_shows(runtime: Runtime, registry: ChargerCommands) -> list[int]:
    now = utcnow()
    reason = f"No-show: not started within {NO_SHOW_GRACE.seconds // 60} minutes"
    async with runtime.sessionmaker() as session:
        gone = await repository.claim_no_shows(
            session, now=now, started_before=now - NO_SHOW_GRACE, reason=reason
        )
        for booking_id, _ in gone:
            repository.add_log(session, booking_id, "no-show", now)
            repository.add_log(session, booking_id, "reservation-fee-kept", now)
        await session.commit()
    for booking_id, reservation_status in gone:
        if reservation_status != ReservationStatus.ACCEPTED:
            continue
        async with runtime.sessionmaker() as session:
            row = await repository.get(session, booking_id)
            assert row is not None
            await session.commit()
            if await release_on_charger(session, registry, row):
                await repository.set_reservation(
                    session, booking_id, ReservationStatus.CANCELLED, only_if_confirmed=False
                )
                repository.add_log(session, booking_id, "connector-released", utcnow())
            await session.commit()
    return [booking_id for booking_id, _ in gone]


async def run_once(runtime: Runtime, registry: ChargerCommands) -> Outcome:
    return Outcome(
        reminded=await send_reminders(runtime),
        reserved=await reserve_on_chargers(runtime, registry),
        no_shows=await release_no_shows(runtime, registry),
    )


async def _run_periodically(runtime: Runtime, registry: ChargerCommands) -> None:
    while True:
        await asyncio.sleep(JOB_SECONDS)
        try:
            await run_once(runtime, registry)
        except Exception as error:
            log.warning("bookings job failed (%s); will retry", type(error).__name__)


async def start(runtime: Runtime, registry: ChargerCommands) -> None:
    """Run the bookings job every JOB_SECONDS; ``registry`` reaches the chargers."""
    start_task(
        runtime, _TASK_KEY, lambda: _run_periodically(runtime, registry), name="evcare-bookings"
    )


async def stop(runtime: Runtime) -> None:
    await stop_task(runtime, _TASK_KEY)
