"""One charger's WebSocket: a guarded receive loop around the ``ocpp`` library's ChargePoint.

Why not ``ChargePoint.start()``: its loop awaits each handler before reading the next
frame, so a slow database would also hold back the charger's answers to our commands.
Here the receive loop only sorts frames: answers (CallResult/CallError) go straight to
the library's response queue, requests (Call) to a small per-connection queue worked off
in order by one task. The loop also enforces the limits a misbehaving charger meets:

- frames over ``max_frame_bytes`` or binary frames: the connection is closed (1009/1003);
- more than ``burst`` frames at once / ``per_second`` sustained, or a full request
  queue: a CallError ``GenericError`` instead of processing;
- unparseable frames (bad JSON, not an OCPP array): a CallError naming the problem;
- after ``max_strikes`` such refusals the connection is closed (1008), once the requests
  already accepted have been answered;
- CallError codes are OCPP-J's for the charger's version (:func:`spec_call_error`).

Nothing here touches another charger's connection: each has its own loop, queue and task.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from ocpp.charge_point import (
    ChargePoint,
    camel_to_snake_case,
    remove_nones,
    serialize_as_dict,
    snake_to_camel_case,
)
from ocpp.exceptions import GenericError, OCPPError
from ocpp.messages import Call, CallError, MessageType, unpack, validate_payload
from ocpp.v16 import call as v16_call
from ocpp.v201 import call as v201_call
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from evcare.core.errors import Conflict, FieldError, UpstreamTimeout, ValidationFailed
from evcare.ocpp.registry import ChargerRejected

log = logging.getLogger("evcare.ocpp")

CALL_MODULES: dict[str, Any] = {"1.6": v16_call, "2.0.1": v201_call}


@dataclass(frozen=True)
class LinkLimits:
    max_frame_bytes: int = 64 * 1024
    burst: int = 60
    per_second: float = 20.0
    max_pending_calls: int = 16
    max_strikes: int = 50
    # How long a charger being closed for misbehaving gets its accepted requests answered.
    drain_seconds: float = 10.0


class _TokenBucket:
    def __init__(self, capacity: int, per_second: float) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.tokens = float(capacity)
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


# CallError codes by OCPP-J's names. The library answers an action it does not know
# with NotSupported and a known one without a handler with NotImplemented; OCPP-J 1.6
# §4.2.3 (and 2.0.1 part 4 §4.3) define them the other way round: NotImplemented
# "Requested Action is not known by receiver", NotSupported "recognized but not
# supported". And 1.6 spells FormatViolation "FormationViolation".
_SPEC_CODES: dict[str, dict[str, str]] = {
    "1.6": {
        "NotSupported": "NotImplemented",
        "NotImplemented": "NotSupported",
        "FormatViolation": "FormationViolation",
    },
    "2.0.1": {"NotSupported": "NotImplemented", "NotImplemented": "NotSupported"},
}


def spec_call_error(message: str, version: str) -> str:
    """``message`` with its CallError code as OCPP-J ``version`` names it (other frames
    unchanged; only CallErrors, which start ``[4``, are parsed)."""
    if not message.startswith("[4"):
        return message
    try:
        frame = json.loads(message)
    except ValueError:
        return message
    renamed = _SPEC_CODES.get(version, {}).get(frame[2]) if len(frame) > 2 else None
    if renamed is None:
        return message
    frame[2] = renamed
    return json.dumps(frame, separators=(",", ":"))


class WebSocketPipe:
    """What the library's ChargePoint sends through: serialised writes to one socket,
    CallError codes named as the charger's OCPP version names them."""

    def __init__(self, websocket: WebSocket, version: str) -> None:
        self.websocket = websocket
        self.version = version
        self._lock = asyncio.Lock()

    async def send(self, message: str) -> None:
        message = spec_call_error(message, self.version)
        async with self._lock:
            await self.websocket.send_text(message)

    async def recv(self) -> str:  # pragma: no cover - the link runs its own receive loop
        raise RuntimeError("ChargerLink reads the socket; ChargePoint.start() is not used")


class ChargerLink:
    """A connected charger: answers its requests, sends it our commands."""

    def __init__(
        self,
        *,
        websocket: WebSocket,
        charge_point: ChargePoint,
        ocpp_version: str,
        limits: LinkLimits,
    ) -> None:
        self.websocket = websocket
        self.charge_point = charge_point
        self.charge_point_id: str = charge_point.id
        self.ocpp_version = ocpp_version
        self.limits = limits
        self._pipe: WebSocketPipe = charge_point._connection
        self._requests: asyncio.Queue[str] = asyncio.Queue(maxsize=limits.max_pending_calls)
        self._bucket = _TokenBucket(limits.burst, limits.per_second)
        self._strikes = 0
        self._closed = asyncio.Event()

    # -- the charger's side -------------------------------------------------------------

    async def run(self) -> None:
        """Read frames until the charger goes away or is closed for misbehaving."""
        worker = asyncio.create_task(self._work_off_requests(), name=f"ocpp-{self.charge_point_id}")
        try:
            await self._receive_loop()
        finally:
            self._closed.set()
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await worker

    async def _receive_loop(self) -> None:
        while not self._closed.is_set():
            try:
                message = await self.websocket.receive()
            except (WebSocketDisconnect, RuntimeError):
                return
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                await self._close_after_accepted(1003, "OCPP-J uses text frames")
                return
            if len(text) > self.limits.max_frame_bytes:
                await self._close_after_accepted(1009, "frame too large")
                return
            await self._sort(text)
            if self._strikes >= self.limits.max_strikes:
                await self._close_after_accepted(1008, "too many refused messages")
                return

    async def _close_after_accepted(self, code: int, reason: str) -> None:
        """Close a misbehaving charger, but first answer the requests already accepted
        (queued): a refusal ends what comes next, never what was taken."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._requests.join(), timeout=self.limits.drain_seconds)
        await self.close(code, reason)

    async def _sort(self, text: str) -> None:
        if not self._bucket.take():
            await self._refuse(text, GenericError(description="Too many messages; slow down"))
            return
        try:
            parsed = unpack(text)
        except OCPPError as error:
            await self._refuse(text, error)
            return
        if parsed.message_type_id != MessageType.Call:
            # An answer to one of our commands: hand it to the waiting call() at once.
            await self.charge_point.route_message(text)
            return
        try:
            self._requests.put_nowait(text)
        except asyncio.QueueFull:
            await self._refuse(text, GenericError(description="Too many pending requests"))

    async def _work_off_requests(self) -> None:
        while True:
            text = await self._requests.get()
            try:
                await self.charge_point.route_message(text)
            except Exception:
                # The library answers handler errors itself; what reaches here is a dead
                # socket, which the receive loop notices too.
                log.warning("charger %s: request not answered", self.charge_point_id)
                if self._closed.is_set():
                    return
            finally:
                self._requests.task_done()

    async def _refuse(self, text: str, error: OCPPError) -> None:
        self._strikes += 1
        description = error.description if isinstance(error.description, str) else "refused"
        refusal = CallError(_message_id(text), error.code, description, {})
        with contextlib.suppress(Exception):
            await self._pipe.send(refusal.to_json())  # the pipe names the code per version

    async def close(self, code: int, reason: str) -> None:
        self._closed.set()
        if self.websocket.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):
                await self.websocket.close(code=code, reason=reason)

    # -- our side -----------------------------------------------------------------------

    async def call(
        self, action: str, payload: dict[str, Any], *, wait_seconds: float
    ) -> dict[str, Any]:
        request_type = getattr(CALL_MODULES[self.ocpp_version], action, None)
        if request_type is None:
            raise ValidationFailed(
                f"{action} is not an OCPP {self.ocpp_version} command",
                fields=[FieldError("command", f"not an OCPP {self.ocpp_version} command")],
            )
        await _validate_request(action, payload, self.ocpp_version)
        try:
            request = request_type(**camel_to_snake_case(payload))
        except TypeError as error:
            raise ValidationFailed(
                f"{action}: {error}", fields=[FieldError("params", str(error))]
            ) from error
        sending = asyncio.create_task(self.charge_point.call(request, suppress=False))
        closed = asyncio.create_task(self._closed.wait())
        try:
            done, _ = await asyncio.wait(
                {sending, closed}, timeout=wait_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            closed.cancel()
        if sending not in done:
            sending.cancel()
            if closed in done:
                raise Conflict(f"Charger {self.charge_point_id} disconnected")
            raise UpstreamTimeout(
                f"Charger {self.charge_point_id} did not answer {action} within {wait_seconds:g}s"
            )
        try:
            result = sending.result()
        except OCPPError as error:
            raise ChargerRejected(
                f"Charger {self.charge_point_id} answered {action} with {error.code}",
                ocpp_error=error.code,
            ) from error
        except (WebSocketDisconnect, RuntimeError) as error:
            raise Conflict(f"Charger {self.charge_point_id} disconnected") from error
        answer: dict[str, Any] = snake_to_camel_case(remove_nones(serialize_as_dict(result)))
        return answer


async def _validate_request(action: str, payload: dict[str, Any], version: str) -> None:
    """Refuse a command the OCPP schema refuses, before it reaches the charger (422)."""
    try:
        await validate_payload(Call(str(uuid.uuid4()), action, payload), version)
    except OCPPError as error:
        cause = error.details.get("cause") if isinstance(error.details, dict) else None
        message = str(cause or error.description)
        raise ValidationFailed(
            f"{action}: {message}", fields=[FieldError("params", message)]
        ) from error


def _message_id(text: str) -> str:
    """The refused frame's message id when it has one, else ``-1`` as OCPP-J prescribes."""
    try:
        frame = json.loads(text)
    except ValueError:
        return "-1"
    if isinstance(frame, list) and len(frame) > 1 and isinstance(frame[1], str):
        return frame[1][:36]
    return "-1"
