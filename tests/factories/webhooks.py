"""A real local webhook receiver (aiohttp on 127.0.0.1), and webhook endpoints for tests."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web

from evcare.core.runtime import Runtime
from evcare.integrations.webhooks import network
from evcare.integrations.webhooks.delivery import runner_of

_names = itertools.count(1)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """Records every POST; answers ``status`` (or hangs when ``hang`` is set)."""

    status: int = 200
    hang: bool = False
    answer: str = "ok"
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        self.received.append(Received(request.path, dict(request.headers), body))
        if self.hang:
            await asyncio.sleep(3600)
        return web.Response(status=self.status, text=self.answer)

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
async def receiver() -> Any:
    running = await Receiver().start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
def private_allowed(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The development allowance: loopback receivers may be called."""
    monkeypatch.setattr(runtime.settings, "webhook_allow_private_networks", True)


@pytest.fixture
def resolve_to(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Point the SSRF guard's resolver at a table (name -> addresses) for this test."""
    table: dict[str, list[str]] = {}

    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"{host} does not resolve")
        return table[host]

    monkeypatch.setattr(network, "resolver", resolve)
    return table


async def create_webhook(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    integration_id: str,
    url: str,
    events: list[str] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/integrations/{integration_id}/webhooks",
        json={
            "url": url,
            "events": events or ["credentials.rotated"],
            "description": f"hook {next(_names)}",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def deliver_all(runtime: Runtime) -> None:
    """Dispatch the outbox, then make every attempt due now and wait for them."""
    await runtime.outbox.drain()
    await runner_of(runtime).drain()
