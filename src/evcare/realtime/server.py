"""The socket.io server (seed 002 "WebSocket Events") on the app's own port.

Client -> server: ``authenticate {token}``, ``join-session {sessionId}``,
``leave-session {sessionId}``. Server -> client: ``authenticated {userId}``, the
session and charger events fanned out by :mod:`evcare.realtime.fanout`, and
``unauthorized {message}`` / ``join-session-failed {sessionId, message}`` when a request
is refused. Every handler also answers the client's acknowledgement callback, if any,
with ``{success, ...}``.

The web console's pages connect with their sign-in cookie instead (the handshake of a
page of this server: :func:`access.cookie_token`). Tokens are checked exactly as HTTP
checks them (:func:`access.socket_principal`): a
revoked sign-in or a blocked account is refused, a partner's token obeys its integration's
bundles and allowlist, and a session room is re-checked on every join. With
``EVCARE_REDIS_URL`` set the server uses socket.io's Redis manager, so
an event emitted by one process reaches clients connected to any other, and the
:class:`~evcare.realtime.routing.CommandRouter` sends OCPP commands to whichever process
holds the charger's connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import socketio

from evcare.core.errors import DomainError
from evcare.core.runtime import Runtime
from evcare.identity.principal import Principal
from evcare.ocpp.registry import registry_of
from evcare.realtime import access, fanout, rooms
from evcare.realtime.routing import CommandRouter

log = logging.getLogger("evcare.realtime")

MAX_TOKEN_LENGTH = 4096
RECHECK_SECONDS = 60.0
MAX_SESSION_ID_LENGTH = 32

UNAUTHORIZED = "unauthorized"
JOIN_FAILED = "join-session-failed"
# What a socket's saved session keeps after a re-check ended its sign-in: the reason.
ENDED = "signInEnded"

Ack = dict[str, Any]


def redis_channel(namespace: str) -> str:
    return f"{namespace}:socketio"


class Realtime:
    """One process's socket.io server, bound to the runtime it authenticates against."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        settings = runtime.settings
        manager = None
        if settings.redis_url:
            manager = socketio.AsyncRedisManager(
                settings.redis_url, channel=redis_channel(settings.redis_namespace)
            )
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=manager,
            cors_allowed_origins=_cors_origins(runtime),
            logger=False,
            engineio_logger=False,
        )
        # Mounted under /socket.io by the app, so the mount already did the routing.
        self.asgi = socketio.ASGIApp(self.sio, socketio_path=None)
        self._rechecking: asyncio.Task[None] | None = None
        self.router: CommandRouter | None = None
        if settings.redis_url:
            self.router = CommandRouter(
                registry_of(runtime), settings.redis_url, namespace=settings.redis_namespace
            )
        self.sio.on("connect", self._on_connect)
        self.sio.on("authenticate", self._on_authenticate)
        self.sio.on("join-session", self._on_join_session)
        self.sio.on("leave-session", self._on_leave_session)

    async def start(self) -> None:
        fanout.attach(self.emit, self.recheck_user)
        self._rechecking = asyncio.create_task(self._recheck_periodically())
        if self.router is not None:
            await self.router.start()

    async def stop(self) -> None:
        fanout.detach(self.emit, self.recheck_user)
        if self._rechecking is not None:
            self._rechecking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._rechecking
        if self.router is not None:
            await self.router.stop()
        await self.sio.shutdown()
        manager = self.sio.manager
        listener = getattr(manager, "thread", None)
        if isinstance(listener, asyncio.Task):
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener
        connection = getattr(manager, "redis", None)
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.aclose()

    async def emit(self, event: str, data: dict[str, Any], to: list[str]) -> None:
        """Send ``event`` once to every socket in any of ``to`` (on every node)."""
        await self.sio.emit(event, data, to=to)

    # -- client -> server ---------------------------------------------------------------

    async def _on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        # socket.io v4 clients may pass the token in the handshake; the seed's
        # clients send ``authenticate`` after connecting. Both are honoured. A page of the
        # web console cannot read its HttpOnly cookie: its handshake carries it instead.
        if isinstance(auth, dict) and auth.get("token"):
            await self._on_authenticate(sid, auth)
            return
        token = access.cookie_token(environ)
        if token is not None:
            await self._on_authenticate(sid, {"token": token})

    async def _on_authenticate(self, sid: str, data: Any = None) -> Ack:
        token = data.get("token") if isinstance(data, dict) else None
        # A socket speaks for one account at a time: whatever it was before is dropped.
        await self._forget(sid)
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            return await self._refuse(sid, "token is required")
        try:
            principal = await self._principal(token)
        except DomainError as error:
            return await self._refuse(sid, error.detail)
        joined = await self._rooms(principal)
        for room in joined:
            await self.sio.enter_room(sid, room)
        await self.sio.save_session(sid, {"token": token, "rooms": joined})
        data_out = {"userId": str(principal.user_id)}
        await self.sio.emit("authenticated", data_out, to=sid)
        return {"success": True, **data_out}

    async def _on_join_session(self, sid: str, data: Any = None) -> Ack:
        raw = data.get("sessionId") if isinstance(data, dict) else None
        if not isinstance(raw, str | int) or isinstance(raw, bool):
            return await self._join_failed(sid, raw, "sessionId is required")
        if len(str(raw)) > MAX_SESSION_ID_LENGTH:
            return await self._join_failed(sid, raw, "sessionId is too long")
        saved = await self.sio.get_session(sid)
        token = saved.get("token")
        if token is None:
            # A sign-in that ended (a re-check refused it) keeps answering why, so the
            # client hears the same reason whether the re-check or this call came first.
            return await self._refuse(sid, saved.get(ENDED) or "Authenticate first")
        try:
            principal = await self._principal(token)
        except DomainError as error:
            await self._forget(sid, reason=error.detail)
            return await self._refuse(sid, error.detail)
        try:
            key = await self._watchable_session(principal, raw)
        except DomainError as error:
            return await self._join_failed(sid, raw, error.detail)
        await self.sio.enter_room(sid, rooms.session(key))
        return {"success": True, "sessionId": raw}

    async def _on_leave_session(self, sid: str, data: Any = None) -> Ack:
        raw = data.get("sessionId") if isinstance(data, dict) else None
        if not isinstance(raw, str | int) or isinstance(raw, bool):
            return {"success": False, "message": "sessionId is required"}
        try:
            key = access.session_key(raw)
        except DomainError:
            return {"success": True, "sessionId": raw}
        await self.sio.leave_room(sid, rooms.session(key))
        return {"success": True, "sessionId": raw}

    # -- sign-ins that end after authenticate ---------------------------------------------

    async def recheck_user(self, user_id: int) -> None:
        """Check again the token of every socket of ``user_id`` on this node."""
        participants = self.sio.manager.get_participants("/", rooms.user(user_id))
        await self._recheck([sid for sid, _ in participants])

    async def _recheck_periodically(self) -> None:
        """Blocked accounts and expired or revoked tokens stop receiving within a period."""
        while True:
            await asyncio.sleep(RECHECK_SECONDS)
            try:
                participants = self.sio.manager.get_participants("/", None)
                await self._recheck([sid for sid, _ in participants])
            except Exception as error:
                log.warning("socket re-check failed (%s); will retry", type(error).__name__)

    async def _recheck(self, sids: list[str]) -> None:
        for sid in sids:
            with contextlib.suppress(KeyError):
                token = (await self.sio.get_session(sid)).get("token")
                if token is None:
                    continue
                try:
                    await self._principal(token)
                except DomainError as error:
                    await self._forget(sid, reason=error.detail)
                    await self._refuse(sid, error.detail)

    # -- helpers --------------------------------------------------------------------------

    async def _principal(self, token: str) -> Principal:
        async with self.runtime.sessionmaker() as session:
            return await access.socket_principal(
                session, self.runtime.credentials, access_token=token
            )

    async def _rooms(self, principal: Principal) -> list[str]:
        async with self.runtime.sessionmaker() as session:
            return await access.socket_rooms(session, principal)

    async def _watchable_session(self, principal: Principal, raw: str | int) -> int:
        async with self.runtime.sessionmaker() as session:
            return await access.watchable_session(session, principal, session_id=raw)

    async def _forget(self, sid: str, *, reason: str | None = None) -> None:
        """Drop the socket's sign-in and rooms; ``reason``: why its sign-in ended."""
        for room in (await self.sio.get_session(sid)).get("rooms", []):
            await self.sio.leave_room(sid, room)
        for room in list(self.sio.rooms(sid)):
            if room.startswith("session:"):
                await self.sio.leave_room(sid, room)
        await self.sio.save_session(sid, {} if reason is None else {ENDED: reason})

    async def _refuse(self, sid: str, message: str) -> Ack:
        await self.sio.emit(UNAUTHORIZED, {"message": message}, to=sid)
        return {"success": False, "message": message}

    async def _join_failed(self, sid: str, session_id: object, message: str) -> Ack:
        body = {"sessionId": session_id, "message": message}
        await self.sio.emit(JOIN_FAILED, body, to=sid)
        return {"success": False, **body}


def _cors_origins(runtime: Runtime) -> list[str] | str | None:
    """Configured origins; any origin in development (a local front end); else same-origin."""
    settings = runtime.settings
    if settings.cors_origins:
        return list(settings.cors_origins)
    if settings.environment == "development":
        return "*"
    return None
