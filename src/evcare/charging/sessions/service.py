"""Charging sessions: made and closed by the charger's messages, read and steered over REST.

Charger-facing functions (``start_transaction``,
``record_meter_values``, ``stop_transaction``) run in the OCPP handler's own short
transaction. They are idempotent: a replayed Start finds its session again, a repeated
Stop changes nothing and bills once. A transaction the charger reports late (it was
offline) is recorded with the charger's own timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging import events
from evcare.charging.bookings.models import START_EARLY
from evcare.charging.chargers import ocpp_state as chargers
from evcare.charging.chargers.models import ChargerStatus
from evcare.charging.chargers.ocpp_state import ChargerRef
from evcare.charging.franchises import repository as franchise_repository
from evcare.charging.pricing import service as pricing
from evcare.charging.sessions import id_tags, payments, repository
from evcare.charging.sessions.id_tags import Authorization
from evcare.charging.sessions.meter import MeterSample
from evcare.charging.sessions.models import (
    ChargingSession,
    MeterValue,
    SessionStatus,
)
from evcare.charging.sessions.records import (
    SessionView,
    as_json,
    cdr_document,
    session_document,
)
from evcare.core.clock import utcnow
from evcare.core.events import publish, publish_many


async def start_transaction(
    session: AsyncSession,
    charger: ChargerRef,
    *,
    connector_id: int,
    id_tag: str | None,
    meter_start_wh: int,
    started_at: datetime,
    ocpp_version: str,
    secret: str | None,
    transaction_id: str | None = None,
    remote_start_id: int | None = None,
) -> tuple[ChargingSession, Authorization]:
    """Record a charger's transaction start (once, however often it is reported), and
    what to tell the charger about its id tag (:func:`id_tags.authorize`). A session the
    driver started with a card (no remote start) on a connector they booked for now
    joins that booking."""
    authorization = await id_tags.authorize(
        session,
        token=id_tag,
        secret=secret,
        at=started_at,
        charger_id=charger.id,
        connector_id=connector_id,
    )
    existing: ChargingSession | None
    if transaction_id is not None:
        existing = await repository.find_by_transaction(
            session, charger_id=charger.id, transaction_id=transaction_id
        )
    else:
        existing = await repository.find_replayed_start(
            session,
            charger_id=charger.id,
            connector_id=connector_id,
            id_tag=id_tag or "",
            started_at=started_at,
            meter_start_wh=meter_start_wh,
        )
    if existing is not None:
        return existing, authorization
    # A new transaction on a connector means its previous one ended unheard.
    stale = await repository.find_active_on_connector(
        session, charger_id=charger.id, connector_id=connector_id
    )
    if stale is not None:
        await close_stale_sessions(session, [(stale, charger)], reason=STALE_SUPERSEDED)
    tariff = await pricing.tariff_for_charger(
        session, charger_id=charger.id, connector_number=connector_id, at=started_at
    )
    vehicle = None
    if authorization.user_id is not None:
        vehicle = await repository.get_default_vehicle(session, authorization.user_id)
    row = ChargingSession(
        charger_id=charger.id,
        connector_id=connector_id,
        user_id=authorization.user_id,
        vehicle_id=vehicle.id if vehicle else None,
        ocpp_version=ocpp_version,
        transaction_id=transaction_id,
        remote_start_id=remote_start_id,
        id_tag=id_tag or None,
        status=SessionStatus.ACTIVE,
        started_at=started_at,
        meter_start_wh=meter_start_wh,
        last_meter_wh=meter_start_wh,
        energy_rate_minor=pricing.energy_rate_of(tariff),
        parking_fee_minor=0,
        currency=tariff.currency,
        tariff=pricing.snapshot(tariff),
    )
    session.add(row)
    await session.flush()
    if row.transaction_id is None:
        # OCPP 1.6: we hand out the transaction id; the session's key is unique and an int.
        row.transaction_id = str(row.id)
        await session.flush()
    if remote_start_id is None:
        await join_booking(session, row, authorization)
    view = SessionView(row, charger.charge_point_id, charger.owner_id)
    await publish(
        session,
        events.SESSION_STARTED,
        events.session_started(
            session=as_json(session_document(view)),
            owner_id=str(charger.owner_id),
            franchise_id=await _franchise_of(session, charger),
        ),
    )
    return row, authorization


async def join_booking(
    session: AsyncSession, row: ChargingSession, authorization: Authorization
) -> None:
    """Link a session the driver started by presenting a card (the app token is a remote
    start, which links its booking itself) to their confirmed booking of this connector
    whose window holds the start (from ``START_EARLY`` before it): the booking becomes
    ``active``, logged ``started``."""
    accepted = authorization.status == id_tags.AuthorizationStatus.ACCEPTED
    if not (accepted and authorization.by_card and row.user_id is not None):
        return
    await repository.join_booking(session, row, early=START_EARLY)


async def authorize_later_token(
    session: AsyncSession, row: ChargingSession, *, token: str, secret: str | None, ending: bool
) -> Authorization:
    """A 2.0.1 transaction that names its id token after it began (the driver plugged
    in, then presented a card): the answer for it, and an accepted token that the
    session had none of makes it the session's, as a start with it would have."""
    decision = await id_tags.authorize(
        session,
        token=token,
        secret=secret,
        starting=not ending,
        charger_id=row.charger_id,
        connector_id=row.connector_id,
    )
    if (
        row.user_id is None
        and row.status == SessionStatus.ACTIVE
        and decision.status == id_tags.AuthorizationStatus.ACCEPTED
    ):
        row.user_id = decision.user_id
        row.id_tag = token
        await session.flush()
        if row.remote_start_id is None:
            await join_booking(session, row, decision)
    return decision


async def find_transaction(
    session: AsyncSession, charger: ChargerRef, *, transaction_id: str
) -> ChargingSession | None:
    return await repository.find_by_transaction(
        session, charger_id=charger.id, transaction_id=transaction_id
    )


@dataclass(frozen=True)
class MeterReport:
    """One MeterValues message (or a Stop's/TransactionEvent's readings) of one charger."""

    charger: ChargerRef
    connector_id: int
    transaction_id: str | None
    samples: list[MeterSample]


async def record_meter_values(
    session: AsyncSession,
    charger: ChargerRef,
    *,
    connector_id: int,
    transaction_id: str | None,
    samples: list[MeterSample],
) -> ChargingSession | None:
    """Store an active session's new readings and announce them; readings of no session,
    of a closed one, or replayed (not newer than the last stored) are dropped."""
    report = MeterReport(charger, connector_id, transaction_id, samples)
    return (await record_meter_reports(session, [report]))[0]


async def record_meter_reports(
    session: AsyncSession, reports: list[MeterReport]
) -> list[ChargingSession | None]:
    """:func:`record_meter_values` for many reports at once, set-based: one SELECT for
    their sessions, one for those sessions' newest readings, then one flush (one INSERT
    of all readings, the sessions' UPDATEs, one INSERT of all events) and one UPDATE of
    the chargers' power. The session each report belongs to, in order."""
    candidates = await repository.sessions_for_reports(
        session,
        charger_ids={r.charger.id for r in reports},
        transaction_ids={r.transaction_id for r in reports if r.transaction_id is not None},
    )
    by_transaction = {(row.charger_id, row.transaction_id): row for row in candidates}
    active: dict[tuple[int, int], ChargingSession] = {}
    for candidate in sorted(candidates, key=lambda r: r.started_at):  # the newest wins
        if candidate.status == SessionStatus.ACTIVE:
            active[(candidate.charger_id, candidate.connector_id)] = candidate
    newest = await repository.newest_readings_at(
        session, [row.id for row in candidates if row.status == SessionStatus.ACTIVE]
    )
    found: list[ChargingSession | None] = []
    power: dict[int, int] = {}
    announce: list[tuple[ChargingSession, ChargerRef]] = []
    for report in reports:
        charger = report.charger
        row: ChargingSession | None = None
        if report.transaction_id is not None:
            row = by_transaction.get((charger.id, report.transaction_id))
        if row is None and report.connector_id > 0:
            row = active.get((charger.id, report.connector_id))
        found.append(row)
        if row is None or row.status != SessionStatus.ACTIVE:
            continue
        # A reading no newer than the last one stored is a replay: stored and announced once.
        last = newest.get(row.id)
        samples = [s for s in report.samples if last is None or s.measured_at > last]
        if not samples:
            continue
        newest[row.id] = max(s.measured_at for s in samples)
        row.interrupted_at = None  # the charger reports it again: not interrupted
        session.add_all(_meter_value(row.id, sample) for sample in samples)
        energy = next((s.energy_wh for s in reversed(samples) if s.energy_wh is not None), None)
        watts = next((s.power_w for s in reversed(samples) if s.power_w is not None), None)
        soc = next((s.soc for s in reversed(samples) if s.soc is not None), None)
        if energy is not None and energy >= row.meter_start_wh:
            row.last_meter_wh = energy
        if watts is not None:
            row.last_power_w = watts
            power[charger.id] = watts
        if soc is not None:
            row.last_soc = soc
        if (row, charger) not in announce:
            announce.append((row, charger))
    # The Session object needs no names: built from the row, without another query.
    await _announce_updates(session, announce)
    await chargers.record_powers(session, power)
    return found


def _meter_value(session_id: int, sample: MeterSample) -> MeterValue:
    return MeterValue(
        session_id=session_id,
        measured_at=sample.measured_at,
        context=sample.context,
        energy_wh=sample.energy_wh,
        power_w=sample.power_w,
        current_a=sample.current_a,
        voltage_v=sample.voltage_v,
        soc=sample.soc,
    )


async def _franchise_of(session: AsyncSession, charger: ChargerRef) -> str | None:
    """The active franchise the charger's station is handed to (its staff's room)."""
    found = await franchise_repository.active_franchises_of_stations(session, [charger.station_id])
    franchise = found.get(charger.station_id)
    return None if franchise is None else str(franchise)


async def _announce_updates(
    session: AsyncSession, updated: list[tuple[ChargingSession, ChargerRef]]
) -> None:
    """One ``session_updated`` event per session; the stations' franchises in one query."""
    franchises = await franchise_repository.active_franchises_of_stations(
        session, {charger.station_id for _, charger in updated}
    )
    await publish_many(
        session,
        [
            (events.SESSION_UPDATED, _update_event(row, ref, franchises.get(ref.station_id)))
            for row, ref in updated
        ],
    )


def _update_event(
    row: ChargingSession, charger: ChargerRef, franchise_id: int | None
) -> events.Document:
    document = session_document(SessionView(row, charger.charge_point_id, charger.owner_id))
    return events.session_updated(
        session=as_json(document),
        owner_id=str(charger.owner_id),
        franchise_id=None if franchise_id is None else str(franchise_id),
        meter_value_wh=row.last_meter_wh,
        power_kw=None if row.last_power_w is None else round(row.last_power_w / 1000, 3),
        estimated_cost=document["cost"],
        interrupted=row.interrupted_at is not None,
    )


async def stop_transaction(
    session: AsyncSession,
    charger: ChargerRef,
    *,
    transaction_id: str,
    meter_stop_wh: int | None,
    stopped_at: datetime,
    reason: str | None,
    failed: bool = False,
) -> ChargingSession | None:
    """Close a session from the charger's Stop; a second Stop of the same one changes
    nothing. A Stop of a session EVCare closed on its own (``stop_estimated``) replaces
    the estimate: its meterStop, time and reason win, and the bill is set, not added."""
    row = await repository.find_by_transaction(
        session, charger_id=charger.id, transaction_id=transaction_id
    )
    if row is None or not (row.status == SessionStatus.ACTIVE or row.stop_estimated):
        return row
    meter_stop = meter_stop_wh if meter_stop_wh is not None else row.last_meter_wh
    row.stop_estimated = False
    row.interrupted_at = None
    return await _close(
        session,
        row,
        charger,
        meter_stop_wh=meter_stop,
        stopped_at=stopped_at,
        reason=(reason or "Local"),
        failed=failed,
    )


async def _close(
    session: AsyncSession,
    row: ChargingSession,
    charger: ChargerRef,
    *,
    meter_stop_wh: int | None,
    stopped_at: datetime,
    reason: str,
    failed: bool = False,
) -> ChargingSession:
    """Bill ``row`` on ``meter_stop_wh`` and announce it stopped (``session_stopped``)."""
    # A Stop replacing EVCare's own estimate: what that estimate billed.
    replacing = row.cost_minor if row.ended_at is not None else None
    meter_stop = meter_stop_wh
    meter_stop = max(
        meter_stop if meter_stop is not None else row.meter_start_wh, row.meter_start_wh
    )
    row.meter_stop_wh = meter_stop
    row.last_meter_wh = meter_stop
    row.energy_wh = meter_stop - row.meter_start_wh
    row.ended_at = max(stopped_at, row.started_at)
    row.stop_reason = reason[:100]
    row.status = SessionStatus.FAILED if failed else SessionStatus.COMPLETED
    await session.flush()
    priced = await pricing.price_closed(session, row)
    await payments.charge_closed_session(session, row, priced, replacing=replacing)
    await session.flush()
    await chargers.record_power(session, charger, power_w=0)
    view = await repository.get_view(session, row.id)
    await publish(
        session,
        events.SESSION_STOPPED,
        events.session_stopped(
            session=as_json(session_document(view)),
            cdr=as_json(cdr_document(view)),
            owner_id=str(charger.owner_id),
            franchise_id=await _franchise_of(session, charger),
        ),
    )
    return row


# -- sessions of chargers that vanish (docs/ocpp.md "Chargers that vanish") ---------------

# Stop reasons (OCPP 1.6 Reason / 2.0.1 ReasonEnumType values) of sessions EVCare closes
# itself, billed on their last meter reading (``stop_estimated``):
STALE_SUPERSEDED = "Other"  # a new transaction started on the connector
STALE_REBOOTED = "Reboot"  # the charger sent a BootNotification
STALE_UNPLUGGED = "EVDisconnected"  # the connector reported Available


async def close_stale_sessions(
    session: AsyncSession, stale: list[tuple[ChargingSession, ChargerRef]], *, reason: str
) -> None:
    """Close sessions whose end the charger never reported: billed on the last meter
    reading, ended at that reading's time (or now), announced as stopped. A Stop that
    arrives later still wins (see :func:`stop_transaction`)."""
    if not stale:
        return
    last = await repository.newest_readings_at(session, [row.id for row, _ in stale])
    for row, charger in stale:
        row.stop_estimated = True
        row.interrupted_at = None
        await _close(
            session,
            row,
            charger,
            meter_stop_wh=row.last_meter_wh,
            stopped_at=last.get(row.id) or utcnow(),
            reason=reason,
        )


async def record_boots(session: AsyncSession, boots: list[chargers.Boot]) -> list[None]:
    """BootNotifications (set-based, :func:`ocpp_state.record_boots`); a charger that
    boots has no transaction running: its active sessions are closed (``Reboot``)."""
    done = await chargers.record_boots(session, boots)
    refs = {boot.charger.id: boot.charger for boot in boots}
    rows = await repository.active_on_chargers(session, list(refs))
    await close_stale_sessions(
        session, [(row, refs[row.charger_id]) for row in rows], reason=STALE_REBOOTED
    )
    return done


async def record_statuses(
    session: AsyncSession, reports: list[chargers.StatusReport]
) -> list[None]:
    """StatusNotifications (set-based, :func:`ocpp_state.record_statuses`); a connector
    reported ``Available`` has no vehicle: its active session is closed
    (``EVDisconnected``)."""
    done = await chargers.record_statuses(session, reports)
    freed = {
        (report.charger.id, report.connector_number): report.charger
        for report in reports
        if report.connector_number > 0 and report.status == "Available"
    }
    if freed:
        rows = await repository.active_on_chargers(session, sorted({c for c, _ in freed}))
        stale = [
            (row, freed[(row.charger_id, row.connector_id)])
            for row in rows
            if (row.charger_id, row.connector_id) in freed
        ]
        await close_stale_sessions(session, stale, reason=STALE_UNPLUGGED)
    return done


async def record_connections(
    session: AsyncSession, connected: list[chargers.Connected]
) -> list[None]:
    """Chargers connected (:func:`ocpp_state.record_connections`): their interrupted
    sessions are theirs again (active, not interrupted) until the charger says more."""
    done = await chargers.record_connections(session, connected)
    refs = {item.charger.id: item.charger for item in connected}
    rows = await repository.interrupted_on_chargers(session, list(refs))
    for row in rows:
        row.interrupted_at = None
    await _announce_updates(session, [(r, refs[r.charger_id]) for r in rows])
    return done


async def mark_vanished_chargers(session: AsyncSession, *, silent_since: datetime) -> int:
    """Chargers not heard from since ``silent_since`` are Offline (a process that died
    never recorded their disconnection), and their active sessions are marked
    interrupted (announced with ``interrupted: true``). How many sessions were marked."""
    vanished = await repository.silent_chargers(session, silent_since=silent_since)
    for charger, charger_row in vanished:
        if charger_row.status != ChargerStatus.OFFLINE:
            await chargers.record_disconnected(session, charger)
    refs = {charger.id: charger for charger, _ in vanished}
    rows = await repository.active_on_chargers(session, list(refs), uninterrupted=True)
    now = utcnow()
    for row in rows:
        row.interrupted_at = now
    await _announce_updates(session, [(r, refs[r.charger_id]) for r in rows])
    return len(rows)
