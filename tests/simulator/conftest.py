"""The simulator runs against a real uvicorn server."""

from tests.factories.server import live_server

__all__ = ["live_server"]
