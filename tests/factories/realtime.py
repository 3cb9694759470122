"""A real socket.io client that records what the server sends it."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import socketio

SERVER_EVENTS = (
    "authenticated",
    "unauthorized",
    "join-session-failed",
    "session-update",
    "session-started",
    "session-stopped",
    "charger-status",
    "notification",
    "low-balance",
    "booking-reminder",
)


class Listener:
    """One connected socket; every server event lands in a queue of its name."""

    def __init__(self, client: socketio.AsyncClient) -> None:
        self.client = client
        self.queues: dict[str, asyncio.Queue[Any]] = defaultdict(asyncio.Queue)
        for name in SERVER_EVENTS:
            client.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Any:
        async def record(data: Any = None) -> None:
            await self.queues[name].put(data)

        return record

    async def next(self, event: str, within: float = 10.0) -> Any:
        return await asyncio.wait_for(self.queues[event].get(), timeout=within)

    def received(self, event: str) -> list[Any]:
        """Everything of ``event`` received so far (drains the queue)."""
        queue = self.queues[event]
        items = []
        while not queue.empty():
            items.append(queue.get_nowait())
        return items

    async def call(self, event: str, data: Any) -> Any:
        """Emit and wait for the server's acknowledgement."""
        return await self.client.call(event, data, timeout=10)

    async def authenticate(self, token: str) -> dict[str, Any]:
        """The seed's flow: emit ``authenticate`` and wait for ``authenticated``."""
        await self.client.emit("authenticate", {"token": token})
        data: dict[str, Any] = await self.next("authenticated")
        return data


@contextlib.asynccontextmanager
async def connected(base_url: str, *, token: str | None = None) -> AsyncIterator[Listener]:
    """A socket.io client connected to ``base_url`` (and authenticated, given ``token``)."""
    client = socketio.AsyncClient(reconnection=False)
    listener = Listener(client)
    await client.connect(base_url, wait_timeout=10)
    try:
        if token is not None:
            await listener.authenticate(token)
        yield listener
    finally:
        await client.disconnect()
