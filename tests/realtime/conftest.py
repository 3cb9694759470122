"""socket.io tests talk to a real uvicorn server with a real socket.io client."""

from tests.factories.server import live_server

__all__ = ["live_server"]
