"""A real uvicorn server on a free localhost port, serving the test app in the test loop.

The server serves the *same* app as the ``client`` fixture (lifespan off: the session's
``app`` fixture already runs it), so HTTP calls through ``client`` and WebSocket
connections to the server share one runtime: one database, one outbox, one OCPP registry.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI


@contextlib.asynccontextmanager
async def serve(app: FastAPI, *, ws_max_size: int = 1 << 20, **options: Any) -> AsyncIterator[str]:
    """Serve ``app`` on ``127.0.0.1:<free port>``; yields ``http://127.0.0.1:<port>``.
    ``options`` are more ``uvicorn.Config`` arguments (``evcare serve``'s, for one)."""
    settings: dict[str, Any] = {
        "log_level": "warning",
        "access_log": False,
        "ws_max_size": ws_max_size,
        **options,
    }
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="off", ws_ping_interval=None, **settings
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        if not server.started:
            await task  # raises the startup error
            raise RuntimeError("uvicorn did not start")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=10)


@pytest.fixture(scope="session")
async def live_server(app: FastAPI) -> AsyncIterator[str]:
    """Base URL (``http://127.0.0.1:<port>``) of the test app served by uvicorn; a conftest
    makes it available with ``from tests.factories.server import live_server``."""
    async with serve(app) as base_url:
        yield base_url
