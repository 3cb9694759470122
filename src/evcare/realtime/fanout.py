"""Committed charging events -> socket.io rooms.

Subscribed once per process to the outbox topics of :mod:`evcare.charging.events`; each
event is emitted by the process that dispatches it, to every live :class:`Realtime` of
this process, and (with Redis) from there to every node. A driver hears only their own
sessions; an operator only its own chargers; admins everything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing.wallet import LOW_BALANCE
from evcare.charging import events as charging
from evcare.charging.bookings.events import BOOKING_REMINDER
from evcare.core.events import OutboxEvent, subscribe
from evcare.engagement import broadcasts, notifications
from evcare.engagement.inbox import type_of
from evcare.engagement.notification_models import Notification
from evcare.realtime import rooms

Emit = Callable[[str, dict[str, Any], list[str]], Awaitable[None]]
Recheck = Callable[[int], Awaitable[None]]

# Sign-ins ended by these: the user's sockets are checked again at once.
SIGN_IN_ENDED = (
    "identity.user_logged_out",
    "identity.password_changed",
    "identity.user_deleted",
    "identity.user_status_changed",  # blocked or suspended by an admin
)

_emitters: list[Emit] = []
_rechecks: list[Recheck] = []


def attach(emit: Emit, recheck: Recheck | None = None) -> None:
    """Start delivering events through ``emit`` (one per live socket.io server)."""
    if emit not in _emitters:
        _emitters.append(emit)
    if recheck is not None and recheck not in _rechecks:
        _rechecks.append(recheck)
    register()


def detach(emit: Emit, recheck: Recheck | None = None) -> None:
    if emit in _emitters:
        _emitters.remove(emit)
    if recheck is not None and recheck in _rechecks:
        _rechecks.remove(recheck)


def register() -> None:
    # These only emit: no SAVEPOINT per event for them (see ``subscribe``).
    subscribe(charging.SESSION_STARTED, _session_started, uses_database=False)
    subscribe(charging.SESSION_UPDATED, _session_updated, uses_database=False)
    subscribe(charging.SESSION_STOPPED, _session_stopped, uses_database=False)
    subscribe(charging.CHARGER_STATUS, _charger_status, uses_database=False)
    subscribe(LOW_BALANCE, _low_balance, uses_database=False)
    subscribe(BOOKING_REMINDER, _booking_reminder, uses_database=False)
    # Subscribed after engagement's own handler, which writes the in-app record first.
    for topic in notifications.NOTIFYING_TOPICS:
        subscribe(topic, _notification)
    subscribe(broadcasts.WRITTEN_TOPIC, _broadcast_written)
    for topic in SIGN_IN_ENDED:
        subscribe(topic, _sign_in_ended)


async def _broadcast(event: str, data: dict[str, Any], to: list[str]) -> None:
    for emit in list(_emitters):
        await emit(event, data, to)


def _session_rooms(payload: dict[str, Any]) -> list[str]:
    return rooms.for_session(
        user_id=payload.get("userId"),
        owner_id=payload.get("ownerId"),
        session_key=charging.session_key(payload["sessionId"]),
        franchise_id=payload.get("franchiseId"),
    )


async def _session_started(_: AsyncSession, event: OutboxEvent) -> None:
    payload = event.payload
    await _broadcast("session-started", {"session": payload["session"]}, _session_rooms(payload))


async def _session_updated(_: AsyncSession, event: OutboxEvent) -> None:
    payload = event.payload
    update = {
        "sessionId": payload["sessionId"],
        "status": payload["status"],
        "meterValue": payload.get("meterValue"),
        "power": payload.get("power"),
        # Beyond the seed's four fields: what a live session screen shows anyway.
        "energyConsumed": payload.get("energyConsumed"),
        "duration": payload.get("duration"),
        "estimatedCost": payload.get("estimatedCost"),
        # The charger has been offline too long: the session may have ended unheard.
        "interrupted": bool(payload.get("interrupted")),
    }
    await _broadcast("session-update", update, _session_rooms(payload))


async def _session_stopped(_: AsyncSession, event: OutboxEvent) -> None:
    payload = event.payload
    body = {"session": payload["session"], "cdr": payload.get("cdr")}
    await _broadcast("session-stopped", body, _session_rooms(payload))


async def _charger_status(_: AsyncSession, event: OutboxEvent) -> None:
    payload = event.payload
    body = {
        "chargerId": payload["chargerId"],
        "status": payload["status"],
        "connectors": payload.get("connectors", []),
    }
    audience = rooms.for_charger(payload.get("ownerId"), payload.get("franchiseId"))
    await _broadcast("charger-status", body, audience)


async def _low_balance(_: AsyncSession, event: OutboxEvent) -> None:
    """``low-balance {balance}`` to the wallet's owner (the notification goes separately)."""
    payload = event.payload
    await _broadcast(
        "low-balance", {"balance": payload["balance"]}, [rooms.user(payload["user_id"])]
    )


async def _booking_reminder(_: AsyncSession, event: OutboxEvent) -> None:
    """``booking-reminder {booking}`` to the driver, 15 minutes before the start."""
    payload = event.payload
    await _broadcast(
        "booking-reminder", {"booking": payload["booking"]}, [rooms.user(payload["userId"])]
    )


async def _notification(session: AsyncSession, event: OutboxEvent) -> None:
    """``notification {notification}`` to its recipient, shaped as EV-CMS's Notification;
    nothing when the event wrote no in-app record (the recipient switched them off)."""
    record = await notifications.in_app_notification_for_event(session, event)
    if record is not None:
        await _emit_notification(record)


async def _broadcast_written(session: AsyncSession, event: OutboxEvent) -> None:
    """One batch of an admin broadcast was written: each recipient hears theirs."""
    ids = [int(key) for key in event.payload.get("notificationIds", [])]
    for record in await notifications.notifications_by_ids(session, ids):
        await _emit_notification(record)


async def _emit_notification(record: Notification) -> None:
    body = {
        "id": str(record.id),
        "userId": str(record.user_id),
        "type": type_of(record.category),
        "title": record.title,
        "message": record.message,
        "data": record.data or {},
        "isRead": record.is_read,
        "createdAt": record.created_at.isoformat(),
    }
    await _broadcast("notification", {"notification": body}, [rooms.user(record.user_id)])


async def _sign_in_ended(_: AsyncSession, event: OutboxEvent) -> None:
    """Logout, password change, deletion: this node's sockets of the user are re-checked
    now (other nodes catch up on their periodic re-check)."""
    user_id = event.payload.get("userId")
    if isinstance(user_id, int):
        for recheck in list(_rechecks):
            await recheck(user_id)
