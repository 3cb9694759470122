"""Password sign-in under brute force, on every surface: slow down, then lock for a while,
tell the owner once; per account (shared by the surfaces and, with Redis, by processes)
and per IP. Defaults: 10 failures lock for 15 minutes, waits start after the 5th."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select

from evcare.app import create_app
from evcare.core.clock import clock
from evcare.core.runtime import Runtime
from evcare.engagement import delivery
from evcare.engagement.notification_models import Notification
from evcare.identity.models import User
from tests.conftest import make_settings
from tests.factories.identity import PASSWORD, bearer, make_user
from tests.factories.mail import Inbox, mailer_for
from tests.surfaces.revcare.helpers import assert_revcare_error

LOCK_SECONDS = 15 * 60
# 5 free failures, then 1 s, 2 s, 4 s, 8 s waits between the next four, then the lock.
SLOWED_THEN_LOCKED = [*[401] * 6, 429, 401, 429, 401, 429, 401, 429, 429]
WAITS = [1, 2, 4, 8, LOCK_SECONDS]

Attempt = Callable[[], Awaitable[httpx.Response]]


def revcare_sign_in(client: httpx.AsyncClient, username: str, password: str) -> Attempt:
    return lambda: client.post("/auth/login", data={"username": username, "password": password})


def cms_sign_in(client: httpx.AsyncClient, email: str, password: str) -> Attempt:
    return lambda: client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def guess(attempt: Attempt, times: int) -> list[httpx.Response]:
    """A patient attacker: wrong passwords, waiting out each slow-down (the clock moves)."""
    answers = []
    for _ in range(times):
        response = await attempt()
        answers.append(response)
        if response.status_code == 429 and int(response.headers["retry-after"]) < LOCK_SECONDS:
            clock.advance(timedelta(seconds=int(response.headers["retry-after"])))
    return answers


def waits(answers: list[httpx.Response]) -> list[int]:
    return [int(a.headers["retry-after"]) for a in answers if a.status_code == 429]


async def lock(client: httpx.AsyncClient, user: User) -> None:
    answers = await guess(revcare_sign_in(client, user.email, "wrong"), len(SLOWED_THEN_LOCKED))
    assert int(answers[-1].headers["retry-after"]) == LOCK_SECONDS


async def test_25_wrong_passwords_on_revcare_slow_down_then_lock_the_account(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    user = await make_user(runtime)
    answers = await guess(revcare_sign_in(client, user.email, "wrong"), 25)
    statuses = [a.status_code for a in answers]
    assert statuses == SLOWED_THEN_LOCKED + [429] * (25 - len(SLOWED_THEN_LOCKED))
    assert waits(answers)[:5] == WAITS
    # Locked: every later guess is refused, with the time left (the clock did not move).
    assert set(waits(answers)[5:]) == {LOCK_SECONDS}
    body = assert_revcare_error(answers[-1], 429)
    assert body["message"] == "Too Many Requests"


async def test_an_unknown_login_gets_exactly_the_answers_an_account_gets(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    user = await make_user(runtime)
    known = await guess(cms_sign_in(client, user.email, "wrong"), 16)
    unknown = await guess(cms_sign_in(client, "nobody@example.com", "wrong"), 16)
    assert [(a.status_code, a.headers.get("retry-after"), a.json()) for a in known] == [
        (a.status_code, a.headers.get("retry-after"), a.json()) for a in unknown
    ]
    assert known[-1].status_code == 429


async def test_the_lock_is_shared_by_the_surfaces_holds_against_the_right_password_and_ends(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    user = await make_user(runtime)
    await lock(client, user)
    refused = await cms_sign_in(client, user.email, PASSWORD)()
    assert refused.status_code == 429
    body = refused.json()
    assert body["success"] is False and body["statusCode"] == 429
    assert body["retryAfter"] == int(refused.headers["retry-after"]) == LOCK_SECONDS
    assert_revcare_error(await revcare_sign_in(client, user.phone or "", PASSWORD)(), 429)

    clock.advance(timedelta(seconds=LOCK_SECONDS - 1))
    assert (await cms_sign_in(client, user.email, PASSWORD)()).status_code == 429
    clock.advance(timedelta(seconds=1))
    assert (await cms_sign_in(client, user.email, PASSWORD)()).status_code == 200
    assert (await revcare_sign_in(client, user.email, PASSWORD)()).status_code == 200


async def test_a_successful_sign_in_clears_the_account_count(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime)
    wrong = revcare_sign_in(client, user.email, "wrong")
    assert [(await wrong()).status_code for _ in range(5)] == [401] * 5
    assert (await revcare_sign_in(client, user.email, PASSWORD)()).status_code == 200
    # Counted from zero again: six more failures, none slowed down yet.
    assert [(await wrong()).status_code for _ in range(6)] == [401] * 6


async def test_the_owner_is_told_once_per_lock_in_the_app_and_by_email(
    client: httpx.AsyncClient,
    runtime: Runtime,
    frozen_clock: None,
    smtp_inbox: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port = smtp_inbox
    monkeypatch.setattr(delivery.senders, "mailer", mailer_for(port))
    user = await make_user(runtime)
    await lock(client, user)
    await guess(revcare_sign_in(client, user.email, "wrong"), 5)  # still locked: no news
    await runtime.outbox.drain()
    assert await _security_notices(runtime, user) == [("email", "sent"), ("in_app", "delivered")]
    [(_, recipients, content)] = inbox.messages
    assert recipients == [user.email]
    assert "Subject: Sign-in to your EVCare account is locked" in content
    assert "wrong" not in content and PASSWORD not in content

    clock.advance(timedelta(seconds=LOCK_SECONDS))
    await lock(client, user)
    await runtime.outbox.drain()
    assert len(await _security_notices(runtime, user)) == 4
    assert len(inbox.messages) == 2


async def _security_notices(runtime: Runtime, user: User) -> list[tuple[str, str]]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.category == "security")
            .order_by(Notification.channel)
        )
        return [(n.channel, n.delivery_status) for n in rows]


@asynccontextmanager
async def limited_app(database_url: str, **overrides: object) -> AsyncIterator[FastAPI]:
    """An app of its own (another process, or other settings) on the test database."""
    app = create_app(make_settings(database_url, **overrides))
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        try:
            yield app
        finally:
            await app.state.runtime.rate_limiter.reset()


def client_from(app: FastAPI, ip: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_failed_sign_ins_from_one_ip_are_limited_whatever_the_account(
    database_url: str,
) -> None:
    async with limited_app(database_url, sign_in_ip_limit="3/15minutes") as app:
        runtime: Runtime = app.state.runtime
        users = [await make_user(runtime) for _ in range(4)]
        async with client_from(app, "10.1.1.1") as attacker, client_from(app, "10.2.2.2") as other:
            for user in users[:3]:
                assert (await cms_sign_in(attacker, user.email, "wrong")()).status_code == 401
            refused = await cms_sign_in(attacker, users[3].email, PASSWORD)()
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
            assert (await cms_sign_in(other, users[3].email, PASSWORD)()).status_code == 200


@pytest.mark.skipif(
    not os.environ.get("EVCARE_TEST_REDIS_URL"),
    reason="set EVCARE_TEST_REDIS_URL (CI does) to test counters shared through Redis",
)
async def test_with_redis_a_lock_made_in_one_process_holds_in_another(
    database_url: str, frozen_clock: None
) -> None:
    shared = {
        "redis_url": os.environ["EVCARE_TEST_REDIS_URL"],
        "redis_namespace": f"test-{secrets.token_hex(4)}",
    }
    async with (
        limited_app(database_url, **shared) as one,
        limited_app(database_url, **shared) as two,
    ):
        user = await make_user(one.state.runtime)
        async with client_from(one) as first, client_from(two) as second:
            await lock(first, user)
            assert (await cms_sign_in(second, user.email, PASSWORD)()).status_code == 429


async def test_the_hub_limits_each_caller_in_its_own_error_shape(database_url: str) -> None:
    async with limited_app(database_url, hub_rate_limit="3/minute") as app:
        runtime: Runtime = app.state.runtime
        user = await make_user(runtime)
        async with client_from(app) as client:
            token = (await cms_sign_in(client, user.email, PASSWORD)()).json()["data"]
            headers = bearer(token["accessToken"])
            for remaining in (2, 1, 0):
                answer = await client.get("/v1/health")
                assert answer.status_code == 200
                assert answer.headers["x-ratelimit-limit"] == "3"
                assert answer.headers["x-ratelimit-remaining"] == str(remaining)
            refused = await client.get("/v1/health")
            assert refused.status_code == 429
            body = refused.json()
            assert set(body) == {"code", "message", "requestId"}
            assert body["code"] == "RATE_LIMITED"
            assert body["requestId"] == refused.headers["x-request-id"]
            assert 0 < int(refused.headers["retry-after"]) <= 60
            # A signed-in caller has a counter of its own; a forged token does not.
            for _ in range(3):
                assert (await client.get("/v1/me", headers=headers)).status_code == 200
            assert (await client.get("/v1/me", headers=headers)).status_code == 429
            forged = bearer("x" + token["accessToken"])
            assert (await client.get("/v1/health", headers=forged)).status_code == 429
