"""Driver portal tests; the browser ones drive real OCPP chargers on the live server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from evcare.core.runtime import Runtime
from evcare.ocpp.registry import registry_of


@pytest.fixture(autouse=True)
async def _chargers_gone(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """After a test, let the server finish closing its charger connections (their
    Offline bookkeeping writes) before the tables are emptied for the next test."""
    yield
    if "live_server" in request.fixturenames:
        runtime: Runtime = request.getfixturevalue("runtime")
        await registry_of(runtime).wait_idle()
