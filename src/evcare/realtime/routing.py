"""Reach a charger connected to another EVCare process (Redis).

Each process has a node id. It records in Redis which charge points it holds
(``<ns>:ocpp:cp:<chargePointId> = <node>``, with a TTL it keeps refreshing), and listens
on its own channel ``<ns>:ocpp:node:<node>``. When the registry is asked to call a
charger it does not hold, :meth:`CommandRouter.forward` (the registry's ``forwarder``)
looks the holder up, publishes the request on the holder's channel and waits for the
answer on its own reply channel. The holder runs it with ``call_local`` and the same
``timeout``, and sends back the charger's answer or the error it raised, which is raised
again here with the same type: a remote charger behaves exactly like a local one (409 not
connected, 504 silent, 400 rejected, 422 invalid). A holder that died without cleaning up
is noticed when nobody is subscribed to its channel (409), or when its key expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any

from redis.asyncio import Redis

from evcare.core import errors
from evcare.ocpp.registry import ChargerRegistry, ChargerRejected

log = logging.getLogger("evcare.realtime.routing")

# Slack for the round trip through Redis on top of the charger's own timeout.
REPLY_GRACE_SECONDS = 2.0

_ERROR_TYPES: dict[str, type[errors.DomainError]] = {
    cls.__name__: cls
    for cls in (
        errors.BusinessRuleViolation,
        errors.ValidationFailed,
        errors.Forbidden,
        errors.NotFound,
        errors.Conflict,
        errors.Unavailable,
        errors.UpstreamTimeout,
        ChargerRejected,
    )
}

# Delete the presence key only while it still names this node (a newer holder keeps it).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class CommandRouter:
    def __init__(
        self,
        registry: ChargerRegistry,
        redis_url: str,
        *,
        namespace: str,
        presence_ttl: float = 15.0,
        sync_seconds: float = 0.5,
    ) -> None:
        self.registry = registry
        self.node_id = uuid.uuid4().hex
        self.namespace = namespace
        self.presence_ttl = presence_ttl
        self.sync_seconds = sync_seconds
        self._redis: Redis = Redis.from_url(redis_url, decode_responses=True)
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._held: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._running: set[asyncio.Task[None]] = set()
        self._subscribed = asyncio.Event()

    # -- names ----------------------------------------------------------------------------

    def holder_key(self, charge_point_id: str) -> str:
        return f"{self.namespace}:ocpp:cp:{charge_point_id}"

    def node_channel(self, node_id: str) -> str:
        return f"{self.namespace}:ocpp:node:{node_id}"

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="evcare-ocpp-router"),
            asyncio.create_task(self._keep_presence(), name="evcare-ocpp-presence"),
        ]
        await asyncio.wait_for(self._subscribed.wait(), timeout=10)
        self.registry.forwarder = self.forward

    async def stop(self) -> None:
        if self.registry.forwarder == self.forward:
            self.registry.forwarder = None
        for task in [*self._tasks, *self._running]:
            task.cancel()
        for task in [*self._tasks, *self._running]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self._release(self._held)
        await self._redis.aclose()

    # -- asking another node --------------------------------------------------------------

    async def forward(
        self, charge_point_id: str, action: str, payload: dict[str, Any], wait: float
    ) -> dict[str, Any]:
        """Run ``action`` on the node holding ``charge_point_id``; its answer or its error."""
        stored = await self._redis.get(self.holder_key(charge_point_id))
        holder = stored.decode() if isinstance(stored, bytes) else stored
        if holder is None or holder == self.node_id:
            raise errors.Conflict(f"Charger {charge_point_id} is not connected")
        request_id = uuid.uuid4().hex
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = answer
        request = {
            "kind": "call",
            "id": request_id,
            "replyTo": self.node_id,
            "chargePointId": charge_point_id,
            "action": action,
            "payload": payload,
            "timeout": wait,
        }
        try:
            listeners = await self._redis.publish(self.node_channel(holder), json.dumps(request))
            if listeners == 0:
                raise errors.Conflict(f"Charger {charge_point_id} is not connected")
            try:
                reply = await asyncio.wait_for(answer, timeout=wait + REPLY_GRACE_SECONDS)
            except TimeoutError as error:
                raise errors.UpstreamTimeout(
                    f"Charger {charge_point_id} did not answer {action} within {wait:g}s"
                ) from error
        finally:
            self._pending.pop(request_id, None)
        if reply.get("ok"):
            result: dict[str, Any] = reply["result"]
            return result
        raise _error_from(reply.get("error") or {})

    # -- being asked ----------------------------------------------------------------------

    async def _listen(self) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self.node_channel(self.node_id))
        self._subscribed.set()
        try:
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                try:
                    body = json.loads(message["data"])
                except (TypeError, ValueError):
                    continue
                if body.get("kind") == "reply":
                    future = self._pending.get(str(body.get("id")))
                    if future is not None and not future.done():
                        future.set_result(body)
                elif body.get("kind") == "call":
                    task = asyncio.create_task(self._serve(body))
                    self._running.add(task)
                    task.add_done_callback(self._running.discard)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _serve(self, request: dict[str, Any]) -> None:
        reply: dict[str, Any] = {"kind": "reply", "id": request.get("id")}
        try:
            result = await self.registry.call_local(
                str(request["chargePointId"]),
                str(request["action"]),
                dict(request["payload"]),
                wait_seconds=float(request["timeout"]),
            )
            reply.update(ok=True, result=result)
        except errors.DomainError as error:
            reply.update(ok=False, error=_error_to(error))
        except Exception as error:
            log.error("forwarded OCPP command failed: %s", type(error).__name__)
            reply.update(ok=False, error={"type": "Unavailable", "detail": type(error).__name__})
        await self._redis.publish(self.node_channel(str(request.get("replyTo"))), json.dumps(reply))

    # -- presence -------------------------------------------------------------------------

    async def _keep_presence(self) -> None:
        """Mirror the registry into Redis: new chargers at once, all of them before expiry."""
        since_refresh = float("inf")
        while True:
            current = set(self.registry.connected_ids())
            gone = self._held - current
            due = since_refresh >= self.presence_ttl / 3
            fresh = current if due else current - self._held
            try:
                if fresh:
                    async with self._redis.pipeline(transaction=False) as pipe:
                        for charge_point_id in fresh:
                            pipe.set(
                                self.holder_key(charge_point_id),
                                self.node_id,
                                px=int(self.presence_ttl * 1000),
                            )
                        await pipe.execute()
                if gone:
                    await self._release(gone)
                self._held = current
                if due:
                    since_refresh = 0.0
            except Exception as error:
                log.warning(
                    "charger presence not written to Redis (%s); retrying", type(error).__name__
                )
            await asyncio.sleep(self.sync_seconds)
            since_refresh += self.sync_seconds

    async def _release(self, charge_point_ids: set[str]) -> None:
        for charge_point_id in charge_point_ids:
            await self._redis.eval(_RELEASE, 1, self.holder_key(charge_point_id), self.node_id)


def _error_to(error: errors.DomainError) -> dict[str, Any]:
    return {
        "type": type(error).__name__,
        "detail": error.detail,
        "fields": [[field.field, field.message] for field in error.fields],
        "extra": {key: value for key, value in error.extra.items() if _is_json(value)},
    }


def _error_from(body: dict[str, Any]) -> errors.DomainError:
    kind = _ERROR_TYPES.get(str(body.get("type")), errors.Unavailable)
    fields = [errors.FieldError(str(name), str(text)) for name, text in body.get("fields", [])]
    return kind(
        str(body.get("detail", "Charger command failed")), fields=fields, **body.get("extra", {})
    )


def _is_json(value: object) -> bool:
    return isinstance(value, str | int | float | bool) or value is None
