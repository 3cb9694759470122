"""``/ocpp/{chargePointId}``: where chargers connect (OCPP-J 1.6 and 2.0.1, profile 1).

Handshake rules:

- the charge point id in the path must be a registered, not archived charger (else the
  handshake is refused with HTTP 404);
- HTTP Basic auth: user = the charge point id, password = the one set at registration
  (else HTTP 401 with ``WWW-Authenticate``);
- subprotocol ``ocpp2.0.1`` or ``ocpp1.6`` (2.0.1 preferred when both are offered); when
  none matches, the handshake completes without a subprotocol and the socket is closed
  at once (1002), as OCPP-J prescribes.

A second connection of the same charger replaces the first (the old socket is closed):
a charger that reconnects after a network drop keeps its open sessions.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import re
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI
from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket

from evcare.charging.chargers import ocpp_state as chargers
from evcare.charging.chargers.ocpp_state import ChargerRef
from evcare.charging.sessions import service as sessions
from evcare.core.runtime import Runtime
from evcare.ocpp.connection import ChargerLink, LinkLimits, WebSocketPipe
from evcare.ocpp.handlers import DB_TIMEOUT, HANDLERS, Csms
from evcare.ocpp.registry import registry_of

log = logging.getLogger("evcare.ocpp")

SUBPROTOCOLS = {"ocpp2.0.1": "2.0.1", "ocpp1.6": "1.6"}
_CHARGE_POINT_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,48}$")
_LIMITS_KEY = "ocpp_limits"
_PASSWORD_CHECKS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ocpp-auth")


def install(app: FastAPI, runtime: Runtime) -> None:
    """Add the OCPP WebSocket route to ``app`` (before any catch-all mount)."""
    app.add_api_websocket_route("/ocpp/{charge_point_id}", ocpp_endpoint, name="ocpp")


def limits_of(runtime: Runtime) -> LinkLimits:
    limits = runtime.extras.get(_LIMITS_KEY)
    return limits if isinstance(limits, LinkLimits) else LinkLimits()


async def ocpp_endpoint(websocket: WebSocket, charge_point_id: str) -> None:
    runtime: Runtime = websocket.app.state.runtime
    if not _CHARGE_POINT_ID.match(charge_point_id):
        await _deny(websocket, 404, "Unknown charge point")
        return
    try:
        charger = await asyncio.wait_for(
            _authenticate(websocket, runtime, charge_point_id), timeout=DB_TIMEOUT
        )
    except TimeoutError:
        await _deny(websocket, 503, "Try again later")
        return
    if charger is None:
        return
    version = _pick_version(websocket.scope.get("subprotocols") or [])
    if version is None:
        await websocket.accept()
        await websocket.close(code=1002, reason="subprotocol ocpp1.6 or ocpp2.0.1 required")
        return
    subprotocol = next(name for name, v in SUBPROTOCOLS.items() if v == version)
    await websocket.accept(subprotocol=subprotocol)
    async with registry_of(runtime).serving():
        await _serve(websocket, runtime, charger, version, subprotocol)


async def _serve(
    websocket: WebSocket, runtime: Runtime, charger: ChargerRef, version: str, subprotocol: str
) -> None:
    csms = Csms(runtime, charger)
    charge_point = HANDLERS[version](
        charger.charge_point_id, WebSocketPipe(websocket, version), csms
    )
    link = ChargerLink(
        websocket=websocket,
        charge_point=charge_point,
        ocpp_version=version,
        limits=limits_of(runtime),
    )
    registry = registry_of(runtime)
    previous = registry.register(link)
    if previous is not None:
        await previous.close(1000, "replaced by a new connection of the same charger")
    # Bookkeeping runs beside the receive loop: a slow database must not delay serving.
    joined = csms.together(sessions.record_connections, chargers.Connected(charger, subprotocol))
    connected = asyncio.create_task(_best_effort(joined))
    try:
        await link.run()
    finally:
        await connected
        if registry.unregister(link):
            await _best_effort(csms.transact(lambda s: chargers.record_disconnected(s, charger)))


async def _best_effort(bookkeeping: Awaitable[object]) -> None:
    """Connection bookkeeping must never keep a charger from being served."""
    with contextlib.suppress(Exception):
        await bookkeeping


def _pick_version(offered: list[str]) -> str | None:
    for name, version in SUBPROTOCOLS.items():
        if name in offered:
            return version
    return None


async def _authenticate(
    websocket: WebSocket, runtime: Runtime, charge_point_id: str
) -> ChargerRef | None:
    async with runtime.sessionmaker() as session:
        found = await chargers.find_charger_for_login(session, charge_point_id=charge_point_id)
    if found is None:
        await _deny(websocket, 404, "Unknown charge point")
        return None
    charger, password_hash = found
    password = _basic_password(websocket.headers.get("authorization"), charge_point_id)
    if password is None or not await _password_ok(runtime, charger, password_hash, password):
        log.warning("charger %s: refused (bad credentials)", charge_point_id)
        await _deny(websocket, 401, "Unauthorized", authenticate=True)
        return None
    return charger


async def _password_ok(
    runtime: Runtime, charger: ChargerRef, password_hash: str, password: str
) -> bool:
    """A generated-secret hash is checked inline (microseconds). An Argon2id hash (a
    charger registered before those) is checked on a small dedicated pool (the default
    pool validates OCPP payloads) and, once it matches, replaced by the generated-secret
    form, so each charger pays Argon2 once."""
    passwords = runtime.credentials.passwords
    if not chargers.password_is_hashed_slowly(password_hash):
        return chargers.password_matches(passwords, password_hash, password)
    matches = await asyncio.get_running_loop().run_in_executor(
        _PASSWORD_CHECKS, chargers.password_matches, passwords, password_hash, password
    )
    if matches:
        async with runtime.sessionmaker() as session:
            await chargers.upgrade_password_hash(
                session, charger, old_hash=password_hash, password=password
            )
            await session.commit()
    return matches


def _basic_password(header: str | None, charge_point_id: str) -> str | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    if user != charge_point_id or not password or len(password) > 128:
        return None
    return password


async def _deny(
    websocket: WebSocket, status: int, message: str, *, authenticate: bool = False
) -> None:
    """Refuse the handshake with an HTTP status (403 where the server cannot send one)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        headers = {"WWW-Authenticate": 'Basic realm="EVCare OCPP"'} if authenticate else None
        await websocket.send_denial_response(
            PlainTextResponse(message, status_code=status, headers=headers)
        )
    else:
        await websocket.close(code=1008)
