"""Request ids, the request log line, Prometheus metrics, and logging set-up.

Every log record is written as one JSON object on one line (:class:`JsonFormatter`), its
facts as fields (``method``, ``path``, ``status``, ...), so a CR/LF or a quote in a path
or a header cannot forge a second line. The request line carries method, path (no query
string), status, latency and request id: never bodies, tokens or personal data; an
exception is logged by its type only, never its traceback (DESIGN §8).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import IO, Any

from fastapi.telemetry import TelemetryConfig
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("evcare.request")

_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "evcare_http_requests_total",
    "HTTP requests handled",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "evcare_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    registry=REGISTRY,
)


# What a surface mounted in the root app is built with (``FastAPI(telemetry=...)``): the
# root app's native OpenTelemetry covers every request (when a provider is configured),
# and a mounted app skips its own once the root's has run, so it need not ask the
# OpenTelemetry API on every request whether a provider is configured (the root does).
MOUNTED_APP_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


# What every LogRecord has; anything else on a record was passed as ``extra`` data.
# (uvicorn adds ``color_message``, the same text with terminal colours.)
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``time``, ``level``, ``logger``, ``message`` and the
    record's ``extra`` fields. ``json.dumps`` escapes control characters, so the output
    is always exactly one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            # The type, never the traceback or the message: either may hold data.
            entry["exc_type"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str, ensure_ascii=False)


_HANDLER_MARK = "_evcare_json"


def configure_logging(level: str, stream: IO[str] | None = None) -> None:
    """Send every record (EVCare's, uvicorn's, libraries') through one JSON handler on the
    root logger (``evcare serve`` runs uvicorn with ``log_config=None`` so its records
    come here too).

    Replaces the handler a previous call installed and leaves others alone (pytest's
    capture, for one)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level.upper())


def request_id_of(scope: Scope) -> str:
    state = scope.get("state") or {}
    return str(state.get("request_id", "-"))


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            requests, latency = _series(scope["method"], route, status)
            requests.inc()
            latency.observe(elapsed)
            if log.isEnabledFor(logging.INFO):
                # The record made directly: ``log.info`` would first walk the stack for
                # the caller's file and line, which the JSON line never shows.
                log.handle(
                    log.makeRecord(
                        log.name,
                        logging.INFO,
                        __file__,
                        0,
                        "request",
                        (),
                        None,
                        extra={
                            "method": scope["method"],
                            "path": scope["path"],
                            "status": status,
                            "latency_ms": round(elapsed * 1000, 1),
                            "request_id": request_id,
                        },
                    )
                )


_SERIES_CACHE_SIZE = 4096
_series_cache: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    """The request counter and latency histogram of (method, route template, status),
    kept per process (``labels()`` takes a lock and builds the key on every call). The
    routes are templates, so the set is small; past the bound it is not kept."""
    key = (method, route, status)
    found = _series_cache.get(key)
    if found is None:
        found = (REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route))
        if len(_series_cache) < _SERIES_CACHE_SIZE:
            _series_cache[key] = found
    return found


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _INCOMING_ID.match(text) else None
    return None


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path_format = getattr(route, "path_format", None)
    if path_format is None:
        return "unmatched"
    return f"{scope.get('root_path', '')}{path_format}"
