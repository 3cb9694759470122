"""The outbox: events exist exactly when their change committed, and are dispatched after."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.errors import Conflict
from evcare.core.events import OutboxEvent, subscribe
from evcare.core.runtime import Runtime
from evcare.identity.models import User


async def _events(runtime: Runtime, topic: str) -> list[OutboxEvent]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic))
        return list(rows.all())


async def _wait_dispatched(runtime: Runtime, topic: str) -> list[OutboxEvent]:
    for _ in range(100):
        events = await _events(runtime, topic)
        if events and all(event.dispatched_at for event in events):
            return events
        await asyncio.sleep(0.05)
    raise AssertionError(f"{topic} not dispatched: {await _events(runtime, topic)}")


async def test_registration_publishes_an_event_that_is_dispatched_after_commit(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    seen: list[dict[str, object]] = []

    async def remember(_: AsyncSession, event: OutboxEvent) -> None:
        seen.append(event.payload)

    subscribe("identity.user_registered", remember)
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "new@example.com", "password": "secret12", "name": "New"},
    )
    assert response.status_code == 201
    events = await _wait_dispatched(runtime, "identity.user_registered")
    user_id = int(response.json()["data"]["user"]["id"])
    assert [event.payload["userId"] for event in events] == [user_id]
    assert {"userId": user_id, "role": "user"} in seen


async def test_a_failed_request_announces_nothing(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request fails *after* the service published (and flushed) its event: the
    event goes with the rolled-back transaction, so no one is told of a registration
    that did not happen."""
    from evcare.surfaces.cms import auth

    reached: list[str] = []

    def fail_after_publishing(*args: object, **kwargs: object) -> object:
        reached.append("rendering")
        raise Conflict("the response could not be built")

    monkeypatch.setattr(auth, "_tokens", fail_after_publishing)
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "late-failure@example.com", "password": "secret12", "name": "Late"},
    )
    assert response.status_code == 409, response.text
    assert reached == ["rendering"], "the failure must come after the event was published"
    await runtime.outbox.drain()
    assert await _events(runtime, "identity.user_registered") == []
    async with runtime.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.email == "late-failure@example.com"))
    assert user is None


async def test_a_failing_subscriber_leaves_the_event_pending_with_a_back_off(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    async def explode(_: AsyncSession, event: OutboxEvent) -> None:
        raise RuntimeError("subscriber is down")

    subscribe("test.fragile", explode)
    async with runtime.sessionmaker() as session:
        from evcare.core.events import publish

        await publish(session, "test.fragile", {"n": 1})
        await session.commit()
    await runtime.outbox.drain()
    [event] = await _events(runtime, "test.fragile")
    assert event.dispatched_at is None
    assert event.attempts == 1
    assert event.last_error == "RuntimeError: subscriber is down"
    assert event.available_at > event.created_at


async def test_two_dispatchers_racing_handle_each_event_exactly_once(runtime: Runtime) -> None:
    from collections import Counter

    from evcare.core.events import OutboxDispatcher, publish

    handled: Counter[int] = Counter()

    async def count(_: AsyncSession, event: OutboxEvent) -> None:
        handled[int(event.payload["n"])] += 1
        await asyncio.sleep(0)  # let the other dispatcher interleave

    subscribe("test.raced", count)
    async with runtime.sessionmaker() as session:
        for n in range(60):
            await publish(session, "test.raced", {"n": n})
        await session.commit()
    dispatchers = [
        OutboxDispatcher(runtime.sessionmaker, batch_size=7),
        OutboxDispatcher(runtime.sessionmaker, batch_size=7),
        runtime.outbox,
    ]
    await asyncio.gather(*(dispatcher.drain() for dispatcher in dispatchers))
    assert sorted(handled) == list(range(60))
    assert set(handled.values()) == {1}
    events = await _events(runtime, "test.raced")
    assert all(event.dispatched_at is not None and event.attempts == 1 for event in events)


async def test_handlers_outside_the_database_fail_alone_and_run_in_publish_order(
    runtime: Runtime,
) -> None:
    from evcare.core.events import publish

    seen: list[int] = []

    async def emit(_: AsyncSession, event: OutboxEvent) -> None:
        seen.append(int(event.payload["n"]))
        if event.payload["n"] == 1:
            raise RuntimeError("socket gone")

    subscribe("test.emit-only", emit, uses_database=False)
    async with runtime.sessionmaker() as session:
        for n in range(3):
            await publish(session, "test.emit-only", {"n": n})
        await session.commit()
    await runtime.outbox.drain()
    assert seen == [0, 1, 2]
    events = {int(e.payload["n"]): e for e in await _events(runtime, "test.emit-only")}
    assert events[0].dispatched_at is not None and events[2].dispatched_at is not None
    assert events[1].dispatched_at is None
    assert events[1].last_error == "RuntimeError: socket gone"


async def test_a_dead_dispatchers_event_comes_back_in_seconds_and_is_not_overtaken(
    runtime: Runtime,
) -> None:
    """A dispatcher claims the ``active`` update of a session and dies; the newer
    ``stopped`` of that session waits for it (never overtakes it), and the older one is
    claimable again once its lease of seconds ran out, then both go in order."""
    from datetime import timedelta

    from evcare.core import events as outbox
    from evcare.core.events import OutboxDispatcher, publish

    assert timedelta(seconds=30) >= outbox.LEASE
    delivered: list[str] = []

    async def deliver(_: AsyncSession, event: OutboxEvent) -> None:
        delivered.append(str(event.payload["status"]))

    subscribe("test.session-news", deliver, uses_database=False)
    # The app's own dispatcher polls too: held, so the dying one is first to claim.
    async with runtime.outbox.paused():
        async with runtime.sessionmaker() as session:
            await publish(
                session, "test.session-news", {"sessionId": "SES000042", "status": "active"}
            )
            await session.commit()
        # The dying dispatcher: claims with its own connection, then never settles. Its
        # lease is the default one, shortened only so that the test does not wait for it.
        dying = OutboxDispatcher(runtime.sessionmaker, lease=timedelta(seconds=1))
        async with runtime.sessionmaker() as session:
            [claimed] = await dying._claim(session)
    assert claimed.payload["status"] == "active"
    async with runtime.sessionmaker() as session:
        await publish(session, "test.session-news", {"sessionId": "SES000042", "status": "stopped"})
        await publish(session, "test.session-news", {"sessionId": "SES000043", "status": "other"})
        await session.commit()

    await runtime.outbox.drain()
    assert delivered == ["other"]  # another session's news is not held back
    for _ in range(100):
        await runtime.outbox.drain()
        if len(delivered) == 3:
            break
        await asyncio.sleep(0.05)
    assert delivered == ["other", "active", "stopped"]


async def test_a_running_batch_keeps_its_lease_while_its_handlers_work(runtime: Runtime) -> None:
    from datetime import timedelta

    from evcare.core.events import OutboxDispatcher, publish

    release = asyncio.Event()
    runs: list[str] = []

    async def slow(_: AsyncSession, event: OutboxEvent) -> None:
        runs.append(str(event.payload["n"]))
        if len(runs) == 1:  # the first run is the slow one
            await release.wait()

    subscribe("test.slow", slow, uses_database=False)
    # The app's own dispatcher polls too: held, so the event is the working one's to take.
    async with runtime.outbox.paused():
        async with runtime.sessionmaker() as session:
            await publish(session, "test.slow", {"n": 1})
            await session.commit()
        working = OutboxDispatcher(runtime.sessionmaker, lease=timedelta(seconds=2))
        other = OutboxDispatcher(runtime.sessionmaker, lease=timedelta(seconds=2))
        task = asyncio.create_task(working.drain())
        for _ in range(80):  # well past the lease: renewed, so nobody else takes it
            await asyncio.sleep(0.05)
            assert await other.dispatch_batch() == 0
        release.set()
        assert await task == 1
    assert runs == ["1"]
