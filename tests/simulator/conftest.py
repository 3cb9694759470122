"""The simulator runs against a real uvicorn server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from tests.factories.server import serve


@pytest.fixture(scope="session")
async def live_server(app: FastAPI) -> AsyncIterator[str]:
    """Base URL (``http://127.0.0.1:<port>``) of the test app served by uvicorn."""
    async with serve(app) as base_url:
        yield base_url
