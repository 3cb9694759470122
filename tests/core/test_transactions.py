"""The request owns the transaction: committed whole before the response, or not at all."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import Mount

from evcare.app import create_app
from evcare.core.errors import Conflict
from evcare.core.events import OutboxEvent, subscribe
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.models import Role, User
from tests.conftest import _LIVE_RUNTIMES, make_settings

broken = APIRouter(route_class=TransactionalRoute)


async def _half_write(session: SessionDep) -> None:
    session.add(User(email="half@example.com", first_name="Half", role=Role.USER))
    await session.flush()


@broken.post("/test-only/crash")
async def crash(session: SessionDep) -> dict[str, str]:
    await _half_write(session)
    raise RuntimeError("boom: secret=hunter2")


@broken.post("/test-only/conflict")
async def conflict(session: SessionDep) -> dict[str, str]:
    await _half_write(session)
    raise Conflict("already there")


@broken.post("/test-only/ok")
async def ok(session: SessionDep) -> dict[str, str]:
    await _half_write(session)
    return {"status": "written"}


@pytest.fixture
async def app_with_broken_routes(database_url: str) -> AsyncIterator[FastAPI]:
    app = create_app(make_settings(database_url))
    for route in app.routes:
        if isinstance(route, Mount) and isinstance(route.app, FastAPI):
            route.app.include_router(broken)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        yield app


async def _count_users(app: FastAPI) -> int:
    async with app.state.runtime.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


@pytest.mark.parametrize(
    ("prefix", "shape"),
    [
        ("/api/v1", {"success", "message", "error", "statusCode", "requestId"}),
        ("/v1", {"code", "message", "requestId"}),
        ("", {"status", "message", "detail", "request_id"}),
    ],
)
async def test_an_unexpected_error_is_a_500_in_the_surface_shape_and_writes_nothing(
    app_with_broken_routes: FastAPI,
    prefix: str,
    shape: set[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = httpx.ASGITransport(app=app_with_broken_routes, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(f"{prefix}/test-only/crash")
    assert response.status_code == 500
    assert set(response.json()) == shape
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert "hunter2" not in caplog.text and "Traceback" not in caplog.text
    assert response.headers["x-request-id"] in response.text
    assert await _count_users(app_with_broken_routes) == 0


async def test_a_domain_error_rolls_back_and_success_commits(
    app_with_broken_routes: FastAPI,
) -> None:
    transport = httpx.ASGITransport(app=app_with_broken_routes)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        refused = await client.post("/api/v1/test-only/conflict")
        assert refused.status_code == 409
        assert await _count_users(app_with_broken_routes) == 0
        written = await client.post("/api/v1/test-only/ok")
        assert written.status_code == 200
        # Committed before the response was sent: visible to a fresh connection now.
        assert await _count_users(app_with_broken_routes) == 1


async def test_a_request_that_publishes_wakes_the_dispatcher_without_waiting_for_its_poll(
    database_url: str,
) -> None:
    # Reads no longer wake the dispatcher; a request that published must still do so.
    app = create_app(make_settings(database_url, outbox_poll_seconds=3600))
    dispatched = asyncio.Event()
    seen: list[object] = []

    async def remember(_: AsyncSession, event: OutboxEvent) -> None:
        seen.append(event.payload["userId"])
        dispatched.set()

    subscribe("identity.user_registered", remember)
    async with contextlib.AsyncExitStack() as paused:
        # Only this app's dispatcher may dispatch: the others would poll the event up.
        for live in _LIVE_RUNTIMES:
            await paused.enter_async_context(live.outbox.paused())
        async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                response = await client.post(
                    "/api/v1/auth/register",
                    json={"email": "woken@example.com", "password": "secret12", "name": "W"},
                )
                assert response.status_code == 201
                await asyncio.wait_for(dispatched.wait(), timeout=30)
    assert seen == [int(response.json()["data"]["user"]["id"])]
