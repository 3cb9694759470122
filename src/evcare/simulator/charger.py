"""One simulated charge point, speaking OCPP 1.6J or 2.0.1 through the ``ocpp`` library.

It behaves like a small AC/DC charger with one connector: boots, sends heartbeats and
its status, then repeats a driver's visit: plug in, authorize the id tag, start a
transaction, report meter values on a plausible power curve (constant power until ~80 %
state of charge, then tapering), stop, unplug, rest. It answers the central system's
commands the way a well-behaved charger does: remote start/stop begin and end a real
transaction, Reset reboots (stopping any transaction first), ChangeAvailability takes the
connector out of service, TriggerMessage sends what was asked, and the rest are accepted.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from websockets.asyncio.client import ClientConnection, connect

log = logging.getLogger("evcare.simulator")

Handler = TypeVar("Handler", bound=Callable[..., Any])


def handles(action: str) -> Callable[[Handler], Handler]:
    """The library's ``@on`` routing decorator, typed."""
    decorator: Callable[[Handler], Handler] = on(action)
    return decorator


PROTOCOLS = ("1.6", "2.0.1")
SUBPROTOCOL = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}


@dataclass(frozen=True)
class Timing:
    """How long things take, in seconds (tests shrink them; demos keep the defaults)."""

    heartbeat: float = 60.0
    meter: float = 5.0
    session: tuple[float, float] = (60.0, 120.0)
    idle: tuple[float, float] = (5.0, 15.0)
    reconnect: float = 3.0


@dataclass
class ChargerState:
    """What the live table shows about one simulated charger."""

    charge_point_id: str
    protocol: str
    state: str = "connecting"
    transaction: str | None = None
    energy_wh: int = 0
    power_w: int = 0
    soc: int | None = None
    sessions_done: int = 0
    messages: int = 0
    last_error: str | None = None
    id_tag: str = ""
    log: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.log.append(text)
        del self.log[:-20]


def utc_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SimulatedCharger:
    """Runs one charge point against ``url`` until cancelled (reconnecting when dropped)."""

    def __init__(
        self,
        *,
        url: str,
        charge_point_id: str,
        password: str | None,
        protocol: str,
        id_tag: str,
        timing: Timing,
        max_power_kw: float = 22.0,
        sessions: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}")
        self.url = url.rstrip("/")
        self.password = password
        self.timing = timing
        self.max_power_w = int(max_power_kw * 1000)
        self.sessions = sessions
        self.rng = rng or random.Random()  # noqa: S311 - a simulation, not security
        self.state = ChargerState(charge_point_id, protocol, id_tag=id_tag)
        self.meter_wh = self.rng.randint(100_000, 5_000_000)
        self.available = True
        self.limit_w: int | None = None
        self._cp: _Dialect | None = None
        self._stop_requested = asyncio.Event()
        self._stop_reason = "Local"
        self._remote_start: asyncio.Queue[tuple[str, int | None]] = asyncio.Queue(maxsize=1)
        self._reboot = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- connection -----------------------------------------------------------------------

    @property
    def ws_url(self) -> str:
        base = self.url.replace("https://", "wss://").replace("http://", "ws://")
        return f"{base}/ocpp/{self.state.charge_point_id}"

    def _headers(self) -> dict[str, str]:
        if self.password is None:
            return {}
        raw = f"{self.state.charge_point_id}:{self.password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    async def run(self) -> None:
        """Connect, boot and charge; reconnect after a drop or a Reset; stop when done."""
        while True:
            self.state.state = "connecting"
            try:
                async with connect(
                    self.ws_url,
                    subprotocols=[SUBPROTOCOL[self.state.protocol]],  # type: ignore[list-item]
                    additional_headers=self._headers(),
                    open_timeout=15,
                    ping_interval=None,
                ) as websocket:
                    finished = await self._session_on(websocket)
                    if finished:
                        return
            except (OSError, websockets.exceptions.WebSocketException, TimeoutError) as error:
                self.state.last_error = f"connection: {type(error).__name__}: {error}"[:120]
                self.state.state = "offline"
            self._cp = None
            await asyncio.sleep(self.timing.reconnect)

    async def _session_on(self, websocket: ClientConnection) -> bool:
        cp: _Dialect = (
            Dialect16(self, websocket)
            if self.state.protocol == "1.6"
            else Dialect201(self, websocket)
        )
        self._cp = cp
        self._reboot.clear()
        reader = asyncio.create_task(cp.start())
        work = asyncio.create_task(self._work(cp))
        reboot = asyncio.create_task(self._reboot.wait())
        try:
            done, _ = await asyncio.wait(
                {reader, work, reboot}, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in (reader, work, reboot):
                task.cancel()
            for task in (reader, work, reboot):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if work in done and work.exception() is None:
            return True  # the requested number of sessions is done
        if work in done and work.exception() is not None:
            error = work.exception()
            self.state.last_error = f"{type(error).__name__}: {error}"[:120]
        if reboot in done:
            self.state.state = "rebooting"
        return False

    # -- the driver's visits --------------------------------------------------------------

    async def _work(self, cp: _Dialect) -> None:
        boot = await cp.boot()
        self.state.messages += 1
        if boot.get("status") != "Accepted":
            raise RuntimeError(f"BootNotification {boot.get('status')}")
        interval = float(boot.get("interval") or self.timing.heartbeat)
        heartbeat = asyncio.create_task(self._heartbeats(cp, min(interval, self.timing.heartbeat)))
        try:
            await self._status(cp, "Available" if self.available else "Unavailable")
            done = 0
            while self.sessions is None or done < self.sessions:
                remote = await self._rest()
                if not self.available:
                    continue
                if await self._visit(cp, remote):
                    done += 1
        finally:
            heartbeat.cancel()

    async def _rest(self) -> tuple[str, int | None] | None:
        """Idle until the next driver arrives, or a remote start asks for one now."""
        self.state.state = "available" if self.available else "unavailable"
        pause = self.rng.uniform(*self.timing.idle)
        try:
            async with asyncio.timeout(pause):
                return await self._remote_start.get()
        except TimeoutError:
            return None

    async def _visit(self, cp: _Dialect, remote: tuple[str, int | None] | None) -> bool:
        id_tag, remote_start_id = remote if remote else (self.state.id_tag, None)
        self.state.state = "preparing"
        await self._status(cp, "Preparing")
        if remote is None:
            status = await cp.authorize(id_tag)
            self.state.messages += 1
            if status != "Accepted":
                self.state.last_error = f"id tag {id_tag}: {status}"
                self.state.note(f"authorize refused: {status}")
                await self._status(cp, "Available")
                return False
        self._stop_requested.clear()
        self._stop_reason = "Local"
        soc = self.rng.uniform(15, 55)
        self.state.soc = round(soc)
        start_meter = self.meter_wh
        transaction = await cp.start_transaction(id_tag, start_meter, remote_start_id)
        self.state.messages += 1
        if transaction is None:
            self.state.last_error = "transaction refused"
            await self._status(cp, "Available")
            return False
        self.state.transaction = transaction
        self.state.state = "charging"
        await self._status(cp, "Charging")
        length = self.rng.uniform(*self.timing.session)
        battery_wh = self.rng.choice((40_000, 60_000, 75_000))
        elapsed = 0.0
        while elapsed < length and not self._stop_requested.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.timing.meter):
                    await self._stop_requested.wait()
            step = self.timing.meter
            elapsed += step
            power = self._power(soc)
            added = power * step / 3600
            self.meter_wh += round(added)
            soc = min(100.0, soc + added / battery_wh * 100)
            self.state.power_w = round(power)
            self.state.energy_wh = self.meter_wh - start_meter
            self.state.soc = round(soc)
            if not self._stop_requested.is_set():
                await cp.meter_values(transaction, self.meter_wh, round(power), round(soc))
                self.state.messages += 1
        self.state.state = "finishing"
        self.state.power_w = 0
        await cp.stop_transaction(transaction, self.meter_wh, self._stop_reason, id_tag)
        self.state.messages += 1
        self.state.sessions_done += 1
        self.state.transaction = None
        await self._status(cp, "Finishing")
        await self._status(cp, "Available" if self.available else "Unavailable")
        return True

    def _power(self, soc: float) -> float:
        """Constant power to ~80 % SoC, then a linear taper to a trickle; a little noise."""
        ceiling = min(self.max_power_w, self.limit_w or self.max_power_w)
        level = ceiling if soc < 80 else ceiling * max(0.1, (100 - soc) / 20)
        return max(0.0, level * self.rng.uniform(0.97, 1.02))

    async def _heartbeats(self, cp: _Dialect, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            await cp.heartbeat()
            self.state.messages += 1

    async def _status(self, cp: _Dialect, status: str) -> None:
        await cp.status(status)
        self.state.messages += 1

    # -- commands from the central system -------------------------------------------------

    def spawn(self, coroutine: Any) -> None:
        """Run a follow-up after answering: a charger replies first, then acts."""
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def remote_start(self, id_tag: str, remote_start_id: int | None) -> bool:
        if self.state.transaction is not None or not self.available:
            return False
        try:
            self._remote_start.put_nowait((id_tag, remote_start_id))
        except asyncio.QueueFull:
            return False
        self.state.note(f"remote start for {id_tag}")
        return True

    def remote_stop(self, transaction: str) -> bool:
        if self.state.transaction is None or str(transaction) != self.state.transaction:
            return False
        self._stop_reason = "Remote"
        self._stop_requested.set()
        self.state.note("remote stop")
        return True

    def reset(self, kind: str) -> None:
        self.state.note(f"reset ({kind})")

        async def reboot() -> None:
            if self.state.transaction is not None:
                self._stop_reason = "HardReset" if kind == "Hard" else "SoftReset"
                self._stop_requested.set()
                for _ in range(50):
                    if self.state.transaction is None:
                        break
                    await asyncio.sleep(0.1)
            self._reboot.set()

        self.spawn(reboot())

    def change_availability(self, operative: bool) -> None:
        self.available = operative
        self.state.note("operative" if operative else "inoperative")
        if self.state.transaction is None and self._cp is not None:
            self.spawn(self._status(self._cp, "Available" if operative else "Unavailable"))

    def trigger(self, message: str) -> bool:
        cp = self._cp
        if cp is None:
            return False
        if message == "Heartbeat":
            self.spawn(cp.heartbeat())
        elif message == "StatusNotification":
            current = "Charging" if self.state.transaction else "Available"
            self.spawn(cp.status(current if self.available else "Unavailable"))
        elif message == "BootNotification":
            self.spawn(cp.boot())
        elif message == "MeterValues" and self.state.transaction is not None:
            self.spawn(
                cp.meter_values(
                    self.state.transaction, self.meter_wh, self.state.power_w, self.state.soc
                )
            )
        else:
            return False
        return True


class _Dialect(Protocol):
    """What the visit loop needs from a protocol version."""

    sim: SimulatedCharger

    async def start(self) -> None: ...
    async def boot(self) -> dict[str, Any]: ...
    async def heartbeat(self) -> None: ...
    async def status(self, status: str) -> None: ...
    async def authorize(self, id_tag: str) -> str: ...
    async def start_transaction(
        self, id_tag: str, meter_wh: int, remote_start_id: int | None
    ) -> str | None: ...
    async def meter_values(
        self, transaction: str, meter_wh: int, power_w: int, soc: int | None
    ) -> None: ...
    async def stop_transaction(
        self, transaction: str, meter_wh: int, reason: str, id_tag: str
    ) -> None: ...


def _samples(meter_wh: int, power_w: int, soc: int | None, context: str) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = [
        {
            "value": str(meter_wh),
            "measurand": "Energy.Active.Import.Register",
            "unit": "Wh",
            "context": context,
        },
        {
            "value": str(power_w),
            "measurand": "Power.Active.Import",
            "unit": "W",
            "context": context,
        },
    ]
    if soc is not None:
        values.append(
            {"value": str(soc), "measurand": "SoC", "unit": "Percent", "context": context}
        )
    return values


class Dialect16(ChargePoint16):  # type: ignore[misc]
    def __init__(self, sim: SimulatedCharger, websocket: ClientConnection) -> None:
        ChargePoint16.__init__(self, sim.state.charge_point_id, websocket, response_timeout=30)
        self.sim = sim

    async def boot(self) -> dict[str, Any]:
        answer = await self.call(
            call16.BootNotification(
                charge_point_model="EVC-SIM-22", charge_point_vendor="EVCare Simulator"
            )
        )
        return {"status": answer.status, "interval": answer.interval}

    async def heartbeat(self) -> None:
        await self.call(call16.Heartbeat())

    async def status(self, status: str) -> None:
        await self.call(
            call16.StatusNotification(
                connector_id=1, error_code="NoError", status=status, timestamp=utc_iso()
            )
        )

    async def authorize(self, id_tag: str) -> str:
        answer = await self.call(call16.Authorize(id_tag=id_tag))
        return str(answer.id_tag_info["status"]) if answer else "Invalid"

    async def start_transaction(
        self, id_tag: str, meter_wh: int, remote_start_id: int | None
    ) -> str | None:
        answer = await self.call(
            call16.StartTransaction(
                connector_id=1, id_tag=id_tag, meter_start=meter_wh, timestamp=utc_iso()
            )
        )
        if answer is None or answer.id_tag_info.get("status") != "Accepted":
            if answer is not None:
                # The transaction exists on the central system anyway: end it properly.
                await self.stop_transaction(
                    str(answer.transaction_id), meter_wh, "DeAuthorized", id_tag
                )
            return None
        return str(answer.transaction_id)

    async def meter_values(
        self, transaction: str, meter_wh: int, power_w: int, soc: int | None
    ) -> None:
        await self.call(
            call16.MeterValues(
                connector_id=1,
                transaction_id=int(transaction),
                meter_value=[
                    {
                        "timestamp": utc_iso(),
                        "sampled_value": _samples(meter_wh, power_w, soc, "Sample.Periodic"),
                    }
                ],
            )
        )

    async def stop_transaction(
        self, transaction: str, meter_wh: int, reason: str, id_tag: str
    ) -> None:
        await self.call(
            call16.StopTransaction(
                meter_stop=meter_wh,
                timestamp=utc_iso(),
                transaction_id=int(transaction),
                reason=reason,
                id_tag=id_tag,
            )
        )

    # Commands from the central system.

    @handles("RemoteStartTransaction")
    def on_remote_start(self, id_tag: str, **_: Any) -> Any:
        accepted = self.sim.remote_start(id_tag, None)
        return result16.RemoteStartTransaction(status="Accepted" if accepted else "Rejected")

    @handles("RemoteStopTransaction")
    def on_remote_stop(self, transaction_id: int, **_: Any) -> Any:
        accepted = self.sim.remote_stop(str(transaction_id))
        return result16.RemoteStopTransaction(status="Accepted" if accepted else "Rejected")

    @handles("Reset")
    def on_reset(self, type: str, **_: Any) -> Any:
        self.sim.reset(type)
        return result16.Reset(status="Accepted")

    @handles("UnlockConnector")
    def on_unlock(self, connector_id: int, **_: Any) -> Any:
        return result16.UnlockConnector(status="Unlocked" if connector_id == 1 else "NotSupported")

    @handles("ChangeAvailability")
    def on_change_availability(self, connector_id: int, type: str, **_: Any) -> Any:
        operative = type == "Operative"
        scheduled = self.sim.state.transaction is not None and not operative
        self.sim.change_availability(operative)
        return result16.ChangeAvailability(status="Scheduled" if scheduled else "Accepted")

    @handles("TriggerMessage")
    def on_trigger(self, requested_message: str, **_: Any) -> Any:
        accepted = self.sim.trigger(requested_message)
        return result16.TriggerMessage(status="Accepted" if accepted else "NotImplemented")

    @handles("SetChargingProfile")
    def on_set_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any], **_: Any
    ) -> Any:
        self.sim.limit_w = _profile_limit_w(cs_charging_profiles)
        return result16.SetChargingProfile(status="Accepted")

    @handles("ClearChargingProfile")
    def on_clear_profile(self, **_: Any) -> Any:
        self.sim.limit_w = None
        return result16.ClearChargingProfile(status="Accepted")

    @handles("ReserveNow")
    def on_reserve(self, **_: Any) -> Any:
        return result16.ReserveNow(status="Accepted")

    @handles("CancelReservation")
    def on_cancel_reservation(self, **_: Any) -> Any:
        return result16.CancelReservation(status="Accepted")

    @handles("ChangeConfiguration")
    def on_change_configuration(self, **_: Any) -> Any:
        return result16.ChangeConfiguration(status="Accepted")

    @handles("GetConfiguration")
    def on_get_configuration(self, **_: Any) -> Any:
        keys = [
            {
                "key": "HeartbeatInterval",
                "readonly": False,
                "value": str(self.sim.timing.heartbeat),
            },
            {
                "key": "MeterValueSampleInterval",
                "readonly": False,
                "value": str(self.sim.timing.meter),
            },
        ]
        return result16.GetConfiguration(configuration_key=keys)

    @handles("ClearCache")
    def on_clear_cache(self, **_: Any) -> Any:
        return result16.ClearCache(status="Accepted")

    @handles("DataTransfer")
    def on_data_transfer(self, **_: Any) -> Any:
        return result16.DataTransfer(status="Accepted")


class Dialect201(ChargePoint201):  # type: ignore[misc]
    def __init__(self, sim: SimulatedCharger, websocket: ClientConnection) -> None:
        ChargePoint201.__init__(self, sim.state.charge_point_id, websocket, response_timeout=30)
        self.sim = sim
        self._seq = 0

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq - 1

    async def boot(self) -> dict[str, Any]:
        answer = await self.call(
            call201.BootNotification(
                charging_station={"model": "EVC-SIM-22", "vendor_name": "EVCare Simulator"},
                reason="PowerUp",
            )
        )
        return {"status": answer.status, "interval": answer.interval}

    async def heartbeat(self) -> None:
        await self.call(call201.Heartbeat())

    async def status(self, status: str) -> None:
        connector_status = {
            "Preparing": "Occupied",
            "Charging": "Occupied",
            "Finishing": "Occupied",
        }.get(status, status)
        await self.call(
            call201.StatusNotification(
                timestamp=utc_iso(), connector_status=connector_status, evse_id=1, connector_id=1
            )
        )

    async def authorize(self, id_tag: str) -> str:
        answer = await self.call(
            call201.Authorize(id_token={"id_token": id_tag, "type": "ISO14443"})
        )
        return str(answer.id_token_info["status"]) if answer else "Invalid"

    async def start_transaction(
        self, id_tag: str, meter_wh: int, remote_start_id: int | None
    ) -> str | None:
        transaction = uuid.uuid4().hex[:20]
        info: dict[str, Any] = {"transaction_id": transaction, "charging_state": "Charging"}
        if remote_start_id is not None:
            info["remote_start_id"] = remote_start_id
        answer = await self.call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp=utc_iso(),
                trigger_reason="RemoteStart" if remote_start_id is not None else "Authorized",
                seq_no=self._next_seq(),
                transaction_info=info,
                id_token={"id_token": id_tag, "type": "ISO14443"},
                evse={"id": 1, "connector_id": 1},
                meter_value=[
                    {
                        "timestamp": utc_iso(),
                        "sampled_value": [
                            {
                                "value": meter_wh,
                                "measurand": "Energy.Active.Import.Register",
                                "context": "Transaction.Begin",
                            }
                        ],
                    }
                ],
            )
        )
        status = (answer.id_token_info or {}).get("status", "Accepted") if answer else "Invalid"
        if status != "Accepted":
            await self.stop_transaction(transaction, meter_wh, "DeAuthorized", id_tag)
            return None
        return transaction

    async def meter_values(
        self, transaction: str, meter_wh: int, power_w: int, soc: int | None
    ) -> None:
        await self.call(
            call201.TransactionEvent(
                event_type="Updated",
                timestamp=utc_iso(),
                trigger_reason="MeterValuePeriodic",
                seq_no=self._next_seq(),
                transaction_info={"transaction_id": transaction, "charging_state": "Charging"},
                meter_value=[
                    {
                        "timestamp": utc_iso(),
                        "sampled_value": _samples201(meter_wh, power_w, soc),
                    }
                ],
            )
        )

    async def stop_transaction(
        self, transaction: str, meter_wh: int, reason: str, id_tag: str
    ) -> None:
        stopped = {"HardReset": "ImmediateReset", "SoftReset": "ImmediateReset"}.get(reason, reason)
        await self.call(
            call201.TransactionEvent(
                event_type="Ended",
                timestamp=utc_iso(),
                trigger_reason="RemoteStop" if reason == "Remote" else "StopAuthorized",
                seq_no=self._next_seq(),
                transaction_info={
                    "transaction_id": transaction,
                    "charging_state": "Idle",
                    "stopped_reason": stopped,
                },
                id_token={"id_token": id_tag, "type": "ISO14443"},
                meter_value=[
                    {
                        "timestamp": utc_iso(),
                        "sampled_value": [
                            {
                                "value": meter_wh,
                                "measurand": "Energy.Active.Import.Register",
                                "context": "Transaction.End",
                            }
                        ],
                    }
                ],
            )
        )

    # Commands from the central system.

    @handles("RequestStartTransaction")
    def on_request_start(self, id_token: dict[str, Any], remote_start_id: int, **_: Any) -> Any:
        accepted = self.sim.remote_start(str(id_token.get("id_token")), remote_start_id)
        return result201.RequestStartTransaction(status="Accepted" if accepted else "Rejected")

    @handles("RequestStopTransaction")
    def on_request_stop(self, transaction_id: str, **_: Any) -> Any:
        accepted = self.sim.remote_stop(transaction_id)
        return result201.RequestStopTransaction(status="Accepted" if accepted else "Rejected")

    @handles("Reset")
    def on_reset(self, type: str, **_: Any) -> Any:
        self.sim.reset("Hard" if type == "Immediate" else "Soft")
        return result201.Reset(status="Accepted")

    @handles("UnlockConnector")
    def on_unlock(self, evse_id: int, connector_id: int, **_: Any) -> Any:
        unlocked = evse_id == 1 and connector_id == 1
        return result201.UnlockConnector(status="Unlocked" if unlocked else "UnknownConnector")

    @handles("ChangeAvailability")
    def on_change_availability(self, operational_status: str, **_: Any) -> Any:
        operative = operational_status == "Operative"
        scheduled = self.sim.state.transaction is not None and not operative
        self.sim.change_availability(operative)
        return result201.ChangeAvailability(status="Scheduled" if scheduled else "Accepted")

    @handles("TriggerMessage")
    def on_trigger(self, requested_message: str, **_: Any) -> Any:
        accepted = self.sim.trigger(requested_message)
        return result201.TriggerMessage(status="Accepted" if accepted else "NotImplemented")

    @handles("SetChargingProfile")
    def on_set_profile(self, charging_profile: dict[str, Any], **_: Any) -> Any:
        self.sim.limit_w = _profile_limit_w(charging_profile)
        return result201.SetChargingProfile(status="Accepted")

    @handles("ClearChargingProfile")
    def on_clear_profile(self, **_: Any) -> Any:
        self.sim.limit_w = None
        return result201.ClearChargingProfile(status="Accepted")

    @handles("ReserveNow")
    def on_reserve(self, **_: Any) -> Any:
        return result201.ReserveNow(status="Accepted")

    @handles("CancelReservation")
    def on_cancel_reservation(self, **_: Any) -> Any:
        return result201.CancelReservation(status="Accepted")

    @handles("DataTransfer")
    def on_data_transfer(self, **_: Any) -> Any:
        return result201.DataTransfer(status="Accepted")


def _samples201(meter_wh: int, power_w: int, soc: int | None) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = [
        {"value": meter_wh, "measurand": "Energy.Active.Import.Register"},
        {"value": power_w, "measurand": "Power.Active.Import"},
    ]
    if soc is not None:
        values.append({"value": soc, "measurand": "SoC"})
    return values


def _profile_limit_w(profile: dict[str, Any]) -> int | None:
    """The first period's limit of a charging profile, in W (A taken at 230 V x 3 phases)."""
    try:
        schedule = profile["charging_schedule"]
        if isinstance(schedule, list):  # 2.0.1 sends a list of schedules
            schedule = schedule[0]
        limit = float(schedule["charging_schedule_period"][0]["limit"])
        unit = str(schedule.get("charging_rate_unit", "W"))
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return round(limit * 230 * 3) if unit == "A" else round(limit)
