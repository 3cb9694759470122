"""Chargers for OCPP tests: rows in the database and real charge points over WebSockets.

``connect()`` opens a real WebSocket to the live server with the ``ocpp`` library's
charge-point side (1.6J or 2.0.1) and runs its receive loop, so the server's commands
(Reset, RemoteStartTransaction, ...) are answered by the handlers below.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import websockets
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from sqlalchemy import update

from evcare.charging.chargers.models import Charger
from evcare.charging.sessions.models import ChargingSession, IdTag
from evcare.charging.stations.models import Connector
from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User
from tests.factories import charging
from tests.factories.identity import make_user
from tests.factories.wallet import fund

CHARGER_PASSWORD = "charger-secret-123"
_counter = itertools.count(1)


async def make_charger(
    runtime: Runtime,
    *,
    owner: User | None = None,
    charge_point_id: str | None = None,
    password: str = CHARGER_PASSWORD,
    connectors: int = 2,
    base_price_minor: int = 2000,
    archived: bool = False,
) -> Charger:
    """A station of ``owner`` (a new brand user by default) with one charger whose
    connectors cost ``base_price_minor`` per kWh."""
    owner = owner or await make_user(runtime, role=Role.BRAND)
    station = await charging.make_station(runtime, owner)
    charger = await charging.make_charger(
        runtime,
        station,
        charge_point_id=charge_point_id,
        connectors=connectors,
        archived_at=utcnow() if archived else None,
        password=password,
    )
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(Connector)
            .where(Connector.charger_id == charger.id)
            .values(base_price_minor=base_price_minor)
        )
        await session.commit()
    return charger


# What a driver's wallet holds to charge in tests: Rs 500, over the default
# minWalletBalance (Rs 100), under which chargers are told NoCredit / Blocked.
DRIVER_FUNDS_MINOR = 50_000


async def make_driver(runtime: Runtime, *, funds_minor: int = DRIVER_FUNDS_MINOR) -> User:
    """A user whose wallet holds ``funds_minor`` (enough to start charging by default)."""
    driver = await make_user(runtime)
    if funds_minor:
        await fund(runtime, driver, funds_minor)
    return driver


async def make_id_tag(runtime: Runtime, user: User, *, token: str | None = None) -> str:
    async with runtime.sessionmaker() as session:
        tag = IdTag(token=token or f"RFID{next(_counter):08d}", user_id=user.id, kind="rfid")
        session.add(tag)
        await session.commit()
        return tag.token


def basic_auth(charge_point_id: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{charge_point_id}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def ws_url(base_url: str, charge_point_id: str) -> str:
    return base_url.replace("http://", "ws://") + f"/ocpp/{charge_point_id}"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def energy_reading(at: datetime, wh: int) -> list[dict[str, Any]]:
    """A 1.6 ``meterValue`` list with one energy register reading."""
    return [
        {
            "timestamp": iso(at),
            "sampled_value": [{"value": str(wh), "measurand": "Energy.Active.Import.Register"}],
        }
    ]


async def start_charging(
    cp: SimCharger16, tag: str, *, meter_start: int, at: datetime, reading: tuple[datetime, int]
) -> int:
    """A 1.6 transaction on connector 1 and one MeterValues of it; its transaction id."""
    started = await cp.call(
        call16.StartTransaction(
            connector_id=1, id_tag=tag, meter_start=meter_start, timestamp=iso(at)
        )
    )
    transaction_id = int(started.transaction_id)
    await cp.call(
        call16.MeterValues(
            connector_id=1, transaction_id=transaction_id, meter_value=energy_reading(*reading)
        )
    )
    return transaction_id


class SimCharger16(ChargePoint16):
    """A 1.6J charge point that accepts what the CSMS asks and remembers it."""

    def __init__(self, charge_point_id: str, connection: Any) -> None:
        super().__init__(charge_point_id, connection, response_timeout=10)
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.started: asyncio.Queue[int] = asyncio.Queue()
        self.reserve_answer = "Accepted"

    @on("RemoteStartTransaction")
    def on_remote_start(self, id_tag: str, **kwargs: Any) -> result16.RemoteStartTransaction:
        self.received.append(("RemoteStartTransaction", {"id_tag": id_tag, **kwargs}))
        return result16.RemoteStartTransaction(status="Accepted")

    @after("RemoteStartTransaction")
    async def after_remote_start(self, id_tag: str, **kwargs: Any) -> None:
        answer = await self.call(
            call16.StartTransaction(
                connector_id=kwargs.get("connector_id") or 1,
                id_tag=id_tag,
                meter_start=1000,
                timestamp=iso(datetime.now().astimezone()),
            )
        )
        await self.started.put(answer.transaction_id)

    @on("RemoteStopTransaction")
    def on_remote_stop(self, transaction_id: int) -> result16.RemoteStopTransaction:
        self.received.append(("RemoteStopTransaction", {"transaction_id": transaction_id}))
        return result16.RemoteStopTransaction(status="Accepted")

    @after("RemoteStopTransaction")
    async def after_remote_stop(self, transaction_id: int) -> None:
        await self.call(
            call16.StopTransaction(
                meter_stop=4500,
                timestamp=iso(datetime.now().astimezone()),
                transaction_id=transaction_id,
                reason="Remote",
            )
        )

    @on("Reset")
    def on_reset(self, type: str) -> result16.Reset:
        self.received.append(("Reset", {"type": type}))
        return result16.Reset(status="Accepted")

    @on("UnlockConnector")
    def on_unlock(self, connector_id: int) -> result16.UnlockConnector:
        self.received.append(("UnlockConnector", {"connector_id": connector_id}))
        return result16.UnlockConnector(status="Unlocked")

    @on("ChangeAvailability")
    def on_change_availability(self, connector_id: int, type: str) -> result16.ChangeAvailability:
        self.received.append(("ChangeAvailability", {"connector_id": connector_id, "type": type}))
        return result16.ChangeAvailability(status="Accepted")

    @on("GetConfiguration")
    def on_get_configuration(self, **kwargs: Any) -> result16.GetConfiguration:
        self.received.append(("GetConfiguration", kwargs))
        return result16.GetConfiguration(
            configuration_key=[{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]
        )

    @on("ReserveNow")
    def on_reserve_now(
        self, connector_id: int, expiry_date: str, id_tag: str, reservation_id: int, **_: Any
    ) -> result16.ReserveNow:
        self.received.append(
            (
                "ReserveNow",
                {
                    "connector_id": connector_id,
                    "expiry_date": expiry_date,
                    "id_tag": id_tag,
                    "reservation_id": reservation_id,
                },
            )
        )
        return result16.ReserveNow(status=self.reserve_answer)

    @on("CancelReservation")
    def on_cancel_reservation(self, reservation_id: int) -> result16.CancelReservation:
        self.received.append(("CancelReservation", {"reservation_id": reservation_id}))
        return result16.CancelReservation(status="Accepted")

    @on("TriggerMessage")
    def on_trigger(self, requested_message: str, **kwargs: Any) -> result16.TriggerMessage:
        self.received.append(("TriggerMessage", {"requested_message": requested_message}))
        return result16.TriggerMessage(status="Accepted")


class SimCharger201(ChargePoint201):
    """A 2.0.1 charging station that accepts what the CSMS asks and remembers it."""

    def __init__(self, charge_point_id: str, connection: Any) -> None:
        super().__init__(charge_point_id, connection, response_timeout=10)
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.seq = itertools.count(0)

    @on("RequestStartTransaction")
    def on_request_start(
        self, id_token: dict[str, Any], remote_start_id: int, **kwargs: Any
    ) -> result201.RequestStartTransaction:
        self.received.append(("RequestStartTransaction", {"remote_start_id": remote_start_id}))
        return result201.RequestStartTransaction(status="Accepted")

    @after("RequestStartTransaction")
    async def after_request_start(
        self, id_token: dict[str, Any], remote_start_id: int, **kwargs: Any
    ) -> None:
        await self.transaction_event(
            "Started",
            f"R{remote_start_id}",
            evse_id=kwargs.get("evse_id") or 1,
            energy_wh=2000,
            id_token=id_token["id_token"],
            remote_start_id=remote_start_id,
            trigger="RemoteStart",
        )

    @on("RequestStopTransaction")
    def on_request_stop(self, transaction_id: str, **_: Any) -> result201.RequestStopTransaction:
        self.received.append(("RequestStopTransaction", {"transaction_id": transaction_id}))
        return result201.RequestStopTransaction(status="Accepted")

    @after("RequestStopTransaction")
    async def after_request_stop(self, transaction_id: str, **_: Any) -> None:
        await self.transaction_event(
            "Ended", transaction_id, evse_id=1, energy_wh=9000, trigger="RemoteStop"
        )

    @on("Reset")
    def on_reset(self, type: str, **_: Any) -> result201.Reset:
        self.received.append(("Reset", {"type": type}))
        return result201.Reset(status="Accepted")

    @on("ChangeAvailability")
    def on_change_availability(
        self, operational_status: str, **kwargs: Any
    ) -> result201.ChangeAvailability:
        self.received.append(("ChangeAvailability", {"operational_status": operational_status}))
        return result201.ChangeAvailability(status="Accepted")

    @on("UnlockConnector")
    def on_unlock(self, evse_id: int, connector_id: int, **_: Any) -> result201.UnlockConnector:
        self.received.append(("UnlockConnector", {"evse_id": evse_id}))
        return result201.UnlockConnector(status="Unlocked")

    @on("ReserveNow")
    def on_reserve_now(
        self, id: int, expiry_date_time: str, id_token: dict[str, Any], **kwargs: Any
    ) -> result201.ReserveNow:
        self.received.append(
            (
                "ReserveNow",
                {
                    "id": id,
                    "expiry_date_time": expiry_date_time,
                    "id_token": id_token,
                    "evse_id": kwargs.get("evse_id"),
                },
            )
        )
        return result201.ReserveNow(status="Accepted")

    @on("CancelReservation")
    def on_cancel_reservation(self, reservation_id: int, **_: Any) -> result201.CancelReservation:
        self.received.append(("CancelReservation", {"reservation_id": reservation_id}))
        return result201.CancelReservation(status="Accepted")

    async def transaction_event(
        self,
        event_type: str,
        transaction_id: str,
        *,
        evse_id: int = 1,
        energy_wh: int | None = None,
        power_w: int | None = None,
        id_token: str | None = None,
        remote_start_id: int | None = None,
        trigger: str = "Authorized",
        at: datetime | None = None,
        offline: bool | None = None,
        stopped_reason: str | None = None,
    ) -> result201.TransactionEvent:
        timestamp = iso(at or datetime.now().astimezone())
        sampled: list[dict[str, Any]] = []
        if energy_wh is not None:
            sampled.append({"value": energy_wh, "measurand": "Energy.Active.Import.Register"})
        if power_w is not None:
            sampled.append({"value": power_w, "measurand": "Power.Active.Import"})
        info: dict[str, Any] = {"transaction_id": transaction_id}
        if remote_start_id is not None:
            info["remote_start_id"] = remote_start_id
        if stopped_reason is not None:
            info["stopped_reason"] = stopped_reason
        answer: result201.TransactionEvent = await self.call(
            call201.TransactionEvent(
                event_type=event_type,
                timestamp=timestamp,
                trigger_reason=trigger,
                seq_no=next(self.seq),
                transaction_info=info,
                meter_value=[{"timestamp": timestamp, "sampled_value": sampled}]
                if sampled
                else None,
                evse={"id": evse_id, "connector_id": 1},
                id_token={"id_token": id_token, "type": "ISO14443"} if id_token else None,
                offline=offline,
            )
        )
        return answer


SIMULATORS: dict[str, type[SimCharger16] | type[SimCharger201]] = {
    "ocpp1.6": SimCharger16,
    "ocpp2.0.1": SimCharger201,
}


@contextlib.asynccontextmanager
async def connect(
    base_url: str,
    charge_point_id: str,
    *,
    password: str = CHARGER_PASSWORD,
    subprotocol: str = "ocpp1.6",
) -> AsyncIterator[Any]:
    """A running simulated charger connected to the live server."""
    async with websockets.connect(
        ws_url(base_url, charge_point_id),
        subprotocols=[websockets.Subprotocol(subprotocol)],
        additional_headers=basic_auth(charge_point_id, password),
        open_timeout=10,
    ) as socket:
        charger = SIMULATORS[subprotocol](charge_point_id, socket)
        task = asyncio.create_task(charger.start())
        try:
            yield charger
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def make_session(
    runtime: Runtime,
    charger: Charger,
    *,
    user: User | None,
    started_at: datetime,
    minutes: int | None = 30,
    energy_wh: int = 10_000,
    rate_minor: int = 2000,
    connector_id: int = 1,
    vehicle_id: int | None = None,
) -> ChargingSession:
    """A session row as the OCPP handlers leave it (closed when ``minutes`` is given)."""
    from datetime import timedelta

    from evcare.charging.pricing import service as pricing

    async with runtime.sessionmaker() as session:
        row = ChargingSession(
            charger_id=charger.id,
            connector_id=connector_id,
            user_id=user.id if user else None,
            vehicle_id=vehicle_id,
            ocpp_version="1.6",
            id_tag="TAG",
            status="active",
            started_at=started_at,
            meter_start_wh=1000,
            last_meter_wh=1000,
            energy_rate_minor=rate_minor,
            currency="INR",
        )
        # Inserted closed when it is (one active session per connector is a rule).
        if minutes is not None:
            row.status = "completed"
            row.ended_at = started_at + timedelta(minutes=minutes)
            row.meter_stop_wh = 1000 + energy_wh
            row.last_meter_wh = row.meter_stop_wh
            row.energy_wh = energy_wh
            priced = pricing.price(pricing.legacy_tariff(row), pricing.usage_of(row))
            row.energy_cost_minor = priced.energy_minor
            row.gst_minor = priced.gst_minor
            row.cost_minor = priced.total_minor
            row.stop_reason = "Local"
        session.add(row)
        await session.flush()
        row.transaction_id = str(row.id)
        await session.commit()
        return row
