"""Admin broadcasts are written in batches, one short transaction each, and a batch that
comes again (a redelivery, a retry) writes nobody twice."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from evcare.core.events import OutboxEvent, publish
from evcare.core.runtime import Runtime
from evcare.engagement import broadcasts
from evcare.engagement.notification_models import Broadcast, Notification
from evcare.identity.models import Role, User
from tests.factories.identity import bearer, login, make_user, signed_in

BASE = "/api/v1/notifications"


async def _per_user(runtime: Runtime) -> dict[int, int]:
    async with runtime.sessionmaker() as session:
        rows = await session.execute(
            select(Notification.user_id, func.count()).group_by(Notification.user_id)
        )
        return {user_id: count for user_id, count in rows.all()}


async def _broadcast(runtime: Runtime) -> Broadcast:
    async with runtime.sessionmaker() as session:
        return (await session.scalars(select(Broadcast))).one()


async def _batch_events(runtime: Runtime) -> int:
    async with runtime.sessionmaker() as session:
        query = select(func.count()).where(OutboxEvent.topic == broadcasts.BATCH_TOPIC)
        return await session.scalar(query) or 0


async def test_an_alert_to_everyone_is_written_in_batches(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(broadcasts, "BATCH_SIZE", 2)
    admin, headers = await signed_in(runtime, client, Role.ADMIN)
    users = [await make_user(runtime) for _ in range(4)]
    response = await client.post(BASE, json={"title": "Hi", "message": "All"}, headers=headers)
    assert response.status_code == 201, response.text
    await runtime.outbox.drain()
    assert await _per_user(runtime) == {u.id: 1 for u in [admin, *users]}
    broadcast = await _broadcast(runtime)
    assert (broadcast.status, broadcast.written_count, broadcast.recipient_count) == ("done", 5, 5)
    assert broadcast.cursor == max(u.id for u in users)
    assert await _batch_events(runtime) == 3  # 2 + 2 + 1


async def test_a_batch_delivered_again_writes_nobody_twice(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(broadcasts, "BATCH_SIZE", 2)
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    users = [await make_user(runtime) for _ in range(5)]
    body = {"title": "Bulk", "message": "m", "userIds": [str(u.id) for u in users]}
    async with runtime.outbox.paused():  # no dispatcher runs meanwhile
        response = await client.post(f"{BASE}/bulk", json=body, headers=headers)
        assert response.json()["data"] == {"success": True, "count": 5}
        assert await _per_user(runtime) == {}
        async with runtime.sessionmaker() as session:
            (first,) = (
                await session.scalars(
                    select(OutboxEvent).where(OutboxEvent.topic == broadcasts.BATCH_TOPIC)
                )
            ).all()
        for expected in (2, 4):  # the first event handled, then delivered once more
            async with runtime.sessionmaker() as session:
                await broadcasts.write_batch(session, first)
                await session.commit()
            assert sum((await _per_user(runtime)).values()) == expected
    await runtime.outbox.drain()  # the chained batch events, one of them now late
    assert await _per_user(runtime) == {u.id: 1 for u in users}
    broadcast = await _broadcast(runtime)
    async with runtime.sessionmaker() as session:  # and once more after it finished
        await publish(session, broadcasts.BATCH_TOPIC, {"broadcastId": broadcast.id})
        await session.commit()
    await runtime.outbox.drain()
    assert await _per_user(runtime) == {u.id: 1 for u in users}
    assert (await _broadcast(runtime)).written_count == 5


async def test_bulk_skips_users_who_switched_in_app_off_and_blocked_ones(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    keen, quiet = await make_user(runtime), await make_user(runtime)
    blocked = await make_user(runtime)
    async with runtime.sessionmaker() as session:
        row = await session.get(User, blocked.id)
        assert row is not None
        row.status = "blocked"
        await session.commit()
    off = await client.put(
        f"{BASE}/preferences",
        json={"inApp": {"all": False}},
        headers=bearer(await login(client, quiet)),
    )
    assert off.status_code == 200
    body = {"title": "t", "message": "m", "userIds": [str(u.id) for u in (keen, quiet, blocked)]}
    response = await client.post(f"{BASE}/bulk", json=body, headers=headers)
    assert response.json()["data"]["count"] == 2  # blocked users are no recipients
    await runtime.outbox.drain()
    assert await _per_user(runtime) == {keen.id: 1}
