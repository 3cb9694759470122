"""OCPP tests talk to a real uvicorn server over real WebSockets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from evcare.core.runtime import Runtime
from evcare.ocpp.registry import registry_of
from tests.factories.server import serve


@pytest.fixture(scope="session")
async def live_server(app: FastAPI) -> AsyncIterator[str]:
    """Base URL (``http://127.0.0.1:<port>``) of the test app served by uvicorn."""
    async with serve(app) as base_url:
        yield base_url


@pytest.fixture(autouse=True)
async def _chargers_gone(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """After a test, let the server finish closing its charger connections (their
    Offline bookkeeping writes) before the tables are emptied for the next test."""
    yield
    if "live_server" in request.fixturenames:
        runtime: Runtime = request.getfixturevalue("runtime")
        await registry_of(runtime).wait_idle()
