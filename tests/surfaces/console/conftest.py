"""Console tests: plain HTTP through the ASGI app, and a real browser against uvicorn."""

from tests.factories.browser import browser, page
from tests.factories.server import live_server

__all__ = ["browser", "live_server", "page"]
