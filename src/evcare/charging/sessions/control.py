"""Sessions over REST: who sees which, remote start and stop through the charger.

Visibility: drivers see their own sessions, operators (brand/franchise) the sessions on
their stations, admins all; anything else is a 404.

Remote start (``POST /sessions``) sends RemoteStartTransaction (1.6) /
RequestStartTransaction (2.0.1) with the driver's app id tag and waits up to
``START_WAIT_SECONDS`` for the charger to report the transaction it started; the
session is the one the charger made. Remote stop (``POST /sessions/:id/stop``) sends
RemoteStopTransaction / RequestStopTransaction and waits up to ``STOP_WAIT_SECONDS``
for the charger's Stop: then it returns the closed session and its CDR; if the charger
accepted but has not stopped yet, it returns the session still ``active`` and
``cdr: null`` (the stop arrives later as ``session-stopped``). Nothing is written before
the charger answers, so the charger's own transaction never waits on this request.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import wallet
from evcare.charging.chargers import commands
from evcare.charging.chargers import service as charging
from evcare.charging.chargers.models import Charger
from evcare.charging.chargers.port import ChargerCommands
from evcare.charging.events import session_key
from evcare.charging.sessions import repository
from evcare.charging.sessions.id_tags import app_token
from evcare.charging.sessions.models import SessionStatus
from evcare.charging.sessions.records import SessionView, public_session_id
from evcare.core.clock import utcnow
from evcare.core.errors import (
    BusinessRuleViolation,
    Conflict,
    FieldError,
    NotFound,
    UpstreamTimeout,
)
from evcare.core.ids import parse_public_id
from evcare.core.money import major_number
from evcare.core.pagination import Page, PageParams
from evcare.identity.models import UserStatus
from evcare.identity.principal import Principal

START_WAIT_SECONDS = 20.0
STOP_WAIT_SECONDS = 20.0
POLL_SECONDS = 0.1
ACTIVE_LIMIT = 100
# Tailpipe CO2 a petrol car would have emitted for the distance one kWh drives an EV:
# ~6.5 km per kWh x ~0.13 kg CO2 per km (grid emissions not subtracted). README states it.
CO2_KG_PER_KWH = Decimal("0.85")


@dataclass(frozen=True)
class Totals:
    sessions: int
    energy_wh: int
    cost_minor: int
    seconds: float


async def list_sessions(
    session: AsyncSession, principal: Principal, params: PageParams, *, status: str | None
) -> Page[SessionView]:
    return await repository.list_views(session, principal, params, status=status)


async def own_sessions(
    session: AsyncSession, principal: Principal, params: PageParams, *, status: str | None
) -> Page[SessionView]:
    """The caller's own sessions, newest first, whatever else the caller may see (the
    hub's ``/v1/client``: an operator's or an admin's too are only theirs)."""
    return await repository.list_views(
        session, None, params, status=status, user_id=principal.user_id
    )


async def current_sessions(
    session: AsyncSession, principal: Principal, charger_ids: list[int]
) -> dict[tuple[int, int], str]:
    """The Charger object's ``currentSession`` per (charger id, connector number): the
    public id of the session running there, if the principal may see that session."""
    running = await repository.running_on_chargers(session, principal, charger_ids)
    return {place: public_session_id(key) for place, key in running.items()}


async def active_sessions(session: AsyncSession, principal: Principal) -> list[SessionView]:
    page = await repository.list_views(
        session, principal, PageParams(1, ACTIVE_LIMIT), status=SessionStatus.ACTIVE
    )
    return page.items


async def history(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    start: datetime | None,
    end: datetime | None,
) -> tuple[Page[SessionView], Totals]:
    """Closed and open sessions started in [start, end], and totals over the closed ones."""
    if start is not None and end is not None and end < start:
        raise BusinessRuleViolation("endDate must not be before startDate")
    page = await repository.list_views(
        session, principal, params, started_from=start, started_until=end
    )
    count, energy, cost, seconds = await repository.totals(
        session, principal, started_from=start, started_until=end
    )
    return page, Totals(count, energy, cost, seconds)


async def get_session(
    session: AsyncSession, principal: Principal, session_id: str | int
) -> SessionView:
    view = await repository.find_view(session, principal, session_key(session_id))
    if view is None:
        raise NotFound(f"Session {session_id} not found")
    return view


POWER_READINGS_SHOWN = 720


async def power_readings(
    session: AsyncSession, principal: Principal, session_id: str | int
) -> list[tuple[datetime, int]]:
    """The power (W) the charger reported over a session the caller may see (its newest
    readings, oldest first): what a live power chart starts from."""
    view = await get_session(session, principal, session_id)
    return await repository.power_readings(session, view.row.id, limit=POWER_READINGS_SHOWN)


async def get_cdr_session(
    session: AsyncSession, principal: Principal, session_id: str | int
) -> SessionView:
    """The session whose CDR is asked for; a CDR exists once the charger stopped it."""
    view = await get_session(session, principal, session_id)
    if view.row.status == SessionStatus.ACTIVE:
        raise Conflict("The session is still active: its CDR is issued when it stops")
    return view


async def start_session(
    session: AsyncSession,
    principal: Principal,
    registry: ChargerCommands,
    *,
    secret: str,
    charger_id: str,
    connector_id: int,
    user_id: str | int,
    vehicle_id: str | int | None,
) -> SessionView:
    """Ask a charger the caller operates to start charging for a driver; the session the
    charger reports (409 if it is not connected, 504 if it does not start in time)."""
    charger = await charging.get_managed_charger(session, principal, charger_id)
    driver = await repository.get_user(session, parse_public_id("USR", user_id, what="User"))
    if driver is None or driver.deleted_at is not None:
        raise NotFound(f"User {user_id} not found")
    if driver.status != UserStatus.ACTIVE:
        raise BusinessRuleViolation(f"User {user_id} is {driver.status}")
    vehicle = None
    if vehicle_id is not None:
        vehicle = await repository.get_vehicle(
            session, parse_public_id("VEH", vehicle_id, what="Vehicle")
        )
        # The driver's own vehicle, or a fleet vehicle they are assigned to drive.
        if vehicle is None or not (
            vehicle.owner_id == driver.id
            or await repository.drives(session, vehicle_id=vehicle.id, user_id=driver.id)
        ):
            raise NotFound(f"Vehicle {vehicle_id} not found")
    payer = await repository.fleet_payer(
        session, vehicle_id=None if vehicle is None else vehicle.id, user_id=driver.id
    )
    await require_credit(session, user_id=payer or driver.id)
    busy = await repository.find_active_on_connector(
        session, charger_id=charger.id, connector_id=connector_id
    )
    if busy is not None:
        raise Conflict(f"Connector {connector_id} is already charging")
    return await remote_start(
        session,
        registry,
        charger=charger,
        connector_id=connector_id,
        token=app_token(secret, user_id=driver.id),
        vehicle_id=vehicle.id if vehicle is not None else None,
    )


class BelowMinimumBalance(BusinessRuleViolation):
    code = "below_min_wallet_balance"


async def require_credit(session: AsyncSession, *, user_id: int) -> None:
    """Refuse a remote start for a driver whose wallet is under ``minWalletBalance``
    (400 naming the rule; the charger would answer the start ``NoCredit`` anyway)."""
    short = await wallet.shortfall(session, user_id=user_id)
    if short is not None:
        raise BelowMinimumBalance(
            short.reason, fields=[FieldError("minWalletBalance", short.reason)]
        )


async def remote_start(
    session: AsyncSession,
    registry: ChargerCommands,
    *,
    charger: Charger,
    connector_id: int,
    token: str,
    vehicle_id: int | None,
) -> SessionView:
    """Send RemoteStartTransaction / RequestStartTransaction for ``token`` and wait for
    the session the charger reports (nothing is written before it answers)."""
    version = registry.ocpp_version_of(charger.charge_point_id) or "1.6"
    action, payload = commands.build(
        version, "RemoteStartTransaction", connector_id, {"idTag": token}
    )
    since = utcnow()
    answer = await registry.call(
        charger.charge_point_id, action, payload, wait_seconds=commands.COMMAND_WAIT_SECONDS
    )
    if answer.get("status") != "Accepted":
        raise BusinessRuleViolation(f"Charger {charger.charge_point_id} rejected the start")
    remote_start_id = payload.get("remoteStartId")
    for _ in range(int(START_WAIT_SECONDS / POLL_SECONDS)):
        row = await repository.find_started_since(
            session,
            charger_id=charger.id,
            connector_id=connector_id,
            id_tag=token,
            since=since,
            remote_start_id=remote_start_id,
        )
        if row is not None:
            if vehicle_id is not None and row.vehicle_id != vehicle_id:
                row.vehicle_id = vehicle_id
                await session.flush()
            return await repository.get_view(session, row.id, fresh=True)
        await asyncio.sleep(POLL_SECONDS)
    raise UpstreamTimeout(
        f"Charger {charger.charge_point_id} accepted the start but reported no transaction"
    )


async def stop_session(
    session: AsyncSession,
    principal: Principal,
    registry: ChargerCommands,
    *,
    session_id: str | int,
    reason: str | None,
) -> SessionView:
    """Ask the charger to stop a session the caller may see; the session afterwards
    (closed with its CDR, or still active if the charger has not stopped it yet)."""
    view = await get_session(session, principal, session_id)
    row = view.row
    if row.status != SessionStatus.ACTIVE:
        return view
    version = registry.ocpp_version_of(view.charge_point_id) or row.ocpp_version
    params: dict[str, Any] = {
        "transactionId": int(row.transaction_id or 0)
        if version == "1.6"
        else str(row.transaction_id)
    }
    action, payload = commands.build(version, "RemoteStopTransaction", None, params)
    answer = await registry.call(
        view.charge_point_id, action, payload, wait_seconds=commands.COMMAND_WAIT_SECONDS
    )
    if answer.get("status") != "Accepted":
        raise BusinessRuleViolation(f"Charger {view.charge_point_id} rejected the stop")
    for _ in range(int(STOP_WAIT_SECONDS / POLL_SECONDS)):
        current = await repository.get_view(session, row.id, fresh=True)
        if current.row.status != SessionStatus.ACTIVE:
            if reason:
                current.row.stop_reason = reason[:100]
                await session.flush()
            return current
        await asyncio.sleep(POLL_SECONDS)
    return await repository.get_view(session, row.id, fresh=True)


async def vehicle_history(
    session: AsyncSession, principal: Principal, params: PageParams, *, vehicle_id: str | int
) -> Page[SessionView]:
    key = await _own_vehicle(session, principal, vehicle_id)
    return await repository.list_views(session, None, params, vehicle_id=key)


async def vehicle_stats(
    session: AsyncSession, principal: Principal, *, vehicle_id: str | int
) -> dict[str, float | int]:
    """{totalSessions, totalEnergy kWh, totalCost, avgSessionDuration min, co2Saved kg}."""
    key = await _own_vehicle(session, principal, vehicle_id)
    count, energy, cost, seconds = await repository.totals(session, None, vehicle_id=key)
    kwh = Decimal(energy) / 1000
    return {
        "totalSessions": count,
        "totalEnergy": float(round(kwh, 3)),
        "totalCost": major_number(cost, "INR"),
        "avgSessionDuration": round(seconds / 60 / count, 1) if count else 0,
        "co2Saved": float(round(kwh * CO2_KG_PER_KWH, 2)),
    }


async def sessions_of_vehicle(
    session: AsyncSession, params: PageParams, *, vehicle_id: int
) -> Page[SessionView]:
    """A vehicle's sessions, newest first (the caller decided it may see the vehicle)."""
    return await repository.list_views(session, None, params, vehicle_id=vehicle_id)


async def energy_of_vehicles(
    session: AsyncSession, vehicle_ids: list[int]
) -> dict[int, tuple[int, int, int]]:
    """Per vehicle: (closed sessions, Wh, Wh since its latest odometer reading); the
    caller decided it may see them."""
    return await repository.energy_by_vehicle(session, vehicle_ids)


async def _own_vehicle(session: AsyncSession, principal: Principal, vehicle_id: str | int) -> int:
    key = parse_public_id("VEH", vehicle_id, what="Vehicle")
    vehicle = await repository.get_vehicle(session, key)
    if vehicle is None or not (principal.is_admin or vehicle.owner_id == principal.user_id):
        raise NotFound(f"Vehicle {vehicle_id} not found")
    return vehicle.id
