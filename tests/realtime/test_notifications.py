"""``notification``: a committed notifying event reaches its recipient's sockets only."""

from __future__ import annotations

from typing import Any

import httpx

from evcare.core.events import publish
from evcare.core.runtime import Runtime
from evcare.engagement.notifications import NOTIFYING_TOPICS
from tests.factories.identity import login, make_user
from tests.factories.realtime import connected


async def announce(runtime: Runtime, user_id: int, title: str) -> None:
    """What a booking status change publishes, committed like any request would."""
    payload: dict[str, Any] = {
        "user_id": user_id,
        "category": "booking",
        "title": title,
        "message": f"{title}: see your booking",
        "data": {"bookingId": "BKG000001"},
    }
    async with runtime.sessionmaker() as session:
        await publish(session, NOTIFYING_TOPICS[0], payload)
        await session.commit()
    runtime.outbox.wake()


async def test_recipient_gets_the_notification_and_nobody_else_does(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    other = await make_user(runtime)
    user = await make_user(runtime)
    async with connected(live_server, token=await login(client, user)) as socket:
        await announce(runtime, other.id, "Not yours")
        await announce(runtime, user.id, "Mechanic assigned")
        received = await socket.next("notification")
    notification = received["notification"]
    assert notification["title"] == "Mechanic assigned"
    assert notification["userId"] == str(user.id)
    assert notification["type"] == "booking"
    assert notification["isRead"] is False
    assert notification["data"] == {"bookingId": "BKG000001"}
    assert notification["id"] is not None
    assert socket.received("notification") == []
