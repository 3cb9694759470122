"""The CSMS side of OCPP 1.6J and 2.0.1: the ``ocpp`` library's ChargePoint with our handlers.

Each handler turns the charger's payload into plain values and does its database work
through :meth:`Csms.transact`: committed (group commit with other chargers' messages,
see :mod:`evcare.ocpp.writer`) with the events it publishes in that same transaction
before the handler answers, then the outbox is woken. This is the
one place outside ``TransactionalRoute`` that commits, because a charger's connection
is not an HTTP request. A database slower than ``DB_TIMEOUT`` yields an OCPP
``InternalError`` for that message; the connection stays up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from ocpp.exceptions import FormatViolationError, InternalError
from ocpp.routing import after as _after
from ocpp.routing import on as _on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.chargers import ocpp_state as chargers
from evcare.charging.chargers.ocpp_state import ChargerRef
from evcare.charging.sessions import id_tags
from evcare.charging.sessions import service as sessions
from evcare.charging.sessions.id_tags import Authorization, AuthorizationStatus
from evcare.charging.sessions.meter import MeterSample
from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.ocpp.meter import parse_meter_values, parse_timestamp
from evcare.ocpp.writer import writer_of

log = logging.getLogger("evcare.ocpp")
# The library logs every frame at INFO; frames carry id tags and cost a write each, so
# they are kept out of the normal log (set this logger to INFO to trace a charger).
FRAME_LOG = logging.getLogger("evcare.ocpp.frames")
FRAME_LOG.setLevel(logging.WARNING)


class _FrameRedaction(logging.Filter):
    """The library logs a failing frame whole with its traceback (``logger.exception``);
    keep the line, but only the frame's action and message id (payloads carry id tags)
    and the exception's type (its message and traceback may quote the payload)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            record.msg = f"{record.msg} [{record.exc_info[0].__name__}]"
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        if isinstance(record.args, tuple):
            record.args = tuple(_frame_summary(arg) for arg in record.args)
        return True


def _frame_summary(value: object) -> str:
    action = getattr(value, "action", None)
    unique_id = getattr(value, "unique_id", None)
    if action is None and unique_id is None:
        return f"<{type(value).__name__}>"
    return f"{type(value).__name__}(action={action}, unique_id={unique_id})"


FRAME_LOG.addFilter(_FrameRedaction())

T = TypeVar("T")
Item = TypeVar("Item")
F = TypeVar("F", bound=Callable[..., Any])

HEARTBEAT_INTERVAL = 300
DB_TIMEOUT = 10.0
# A charger's lastHeartbeat is written at most this often: heartbeats in between are
# answered without touching the database (a chatty charger costs no writes).
HEARTBEAT_WRITE_SECONDS = 30.0


def on(action: str) -> Callable[[F], F]:
    """The library's ``@on`` routing decorator, typed."""
    decorator: Callable[[F], F] = _on(action)
    return decorator


def after(action: str) -> Callable[[F], F]:
    """The library's ``@after`` decorator (runs once the answer has been sent), typed."""
    decorator: Callable[[F], F] = _after(action)
    return decorator


# A charger told Inoperative again after it boots answers within this, or is left be.
MAINTENANCE_RESEND_SECONDS = 30.0


class Csms:
    """What handlers of one connection share: the runtime and the authenticated charger."""

    def __init__(self, runtime: Runtime, charger: ChargerRef) -> None:
        self.runtime = runtime
        self.charger = charger
        self.secret = runtime.settings.secret_key.get_secret_value()
        self._heartbeat_written: float | None = None
        self._writer = writer_of(runtime)
        self._tasks: set[asyncio.Task[None]] = set()

    async def heartbeat(self) -> None:
        """Record a heartbeat, coalesced to one write per ``HEARTBEAT_WRITE_SECONDS``."""
        now = time.monotonic()
        if self._heartbeat_written is not None and (
            now - self._heartbeat_written < HEARTBEAT_WRITE_SECONDS
        ):
            return
        await self.together(chargers.record_heartbeats, self.charger)
        self._heartbeat_written = now

    def tell_if_in_maintenance(self, send: Callable[[], Awaitable[Any]]) -> None:
        """After a BootNotification: a charger under maintenance may have missed its
        ChangeAvailability Inoperative while offline (or reset since), so it is sent
        again, from a task of its own (a call made from the handler itself would wait on
        the connection that is handing the boot)."""

        async def check_and_send() -> None:
            try:
                if await self.transact(
                    lambda session: chargers.in_maintenance(session, self.charger)
                ):
                    await asyncio.wait_for(send(), MAINTENANCE_RESEND_SECONDS)
            except Exception as error:
                log.warning(
                    "ChangeAvailability after boot to %s failed (%s)",
                    self.charger.charge_point_id,
                    type(error).__name__,
                )

        task = asyncio.create_task(check_and_send())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def transact(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in a committed transaction, bounded by ``DB_TIMEOUT``.

        The transaction may be shared with other chargers' messages (group commit, see
        :mod:`evcare.ocpp.writer`); either way this returns only once it is committed."""
        value: T = await self._bounded(self._writer.run(work, key=self.charger.id))
        return value

    async def together(
        self, apply: Callable[[AsyncSession, list[Item]], Awaitable[list[T]]], item: Item
    ) -> T:
        """Have ``apply`` do ``item`` set-based with other chargers' items of the same
        kind in one committed transaction (see :mod:`evcare.ocpp.writer`); its result."""
        value: T = await self._bounded(self._writer.run_together(apply, item, key=self.charger.id))
        return value

    @staticmethod
    async def _bounded(answer: Awaitable[Any]) -> Any:
        try:
            return await asyncio.wait_for(answer, timeout=DB_TIMEOUT)
        except TimeoutError as error:
            raise InternalError(description="Database busy; please retry") from error


def _now() -> str:
    return _iso(utcnow())


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def id_tag_info(decision: Authorization) -> dict[str, Any]:
    """OCPP 1.6 IdTagInfo: 1.6 has no ``NoCredit`` (a wallet under the minimum is
    ``Blocked``); ``expiryDate`` bounds the charger's cache entry, ``parentIdTag`` names
    the card's group."""
    status = decision.status
    info: dict[str, Any] = {
        "status": "Blocked" if status == AuthorizationStatus.NO_CREDIT else str(status)
    }
    if decision.expires_at is not None:
        info["expiry_date"] = _iso(decision.expires_at)
    if decision.parent_id_tag is not None:
        info["parent_id_tag"] = decision.parent_id_tag
    return info


def id_token_info(decision: Authorization) -> dict[str, Any]:
    """OCPP 2.0.1 IdTokenInfo: the status, ``cacheExpiryDateTime``, the group as
    ``groupIdToken`` (type ``Central``) and, for a refusal, why (``personalMessage``)."""
    info: dict[str, Any] = {"status": str(decision.status)}
    if decision.expires_at is not None:
        info["cache_expiry_date_time"] = _iso(decision.expires_at)
    if decision.parent_id_tag is not None:
        info["group_id_token"] = {"id_token": decision.parent_id_tag, "type": "Central"}
    if decision.status != AuthorizationStatus.ACCEPTED and decision.reason:
        info["personal_message"] = {"format": "UTF8", "content": decision.reason[:512]}
    return info


def _when(value: Any) -> Any:
    try:
        return parse_timestamp(value)
    except ValueError as error:
        raise FormatViolationError(description=f"Bad timestamp: {error}") from error


def _last_energy(samples: list[MeterSample]) -> int | None:
    return next((s.energy_wh for s in reversed(samples) if s.energy_wh is not None), None)


def _first_energy(samples: list[MeterSample]) -> int | None:
    return next((s.energy_wh for s in samples if s.energy_wh is not None), None)


class ChargePointV16(ChargePoint16):  # type: ignore[misc]
    """OCPP 1.6J: Start/StopTransaction make and close sessions."""

    def __init__(self, charge_point_id: str, connection: Any, csms: Csms) -> None:
        super().__init__(charge_point_id, connection, response_timeout=3600, logger=FRAME_LOG)
        self.csms = csms

    @on(Action16.boot_notification)
    async def on_boot_notification(
        self, charge_point_vendor: str, charge_point_model: str, **extra: Any
    ) -> result16.BootNotification:
        boot = chargers.Boot(
            self.csms.charger,
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial_number=extra.get("charge_point_serial_number"),
            firmware_version=extra.get("firmware_version"),
        )
        await self.csms.together(sessions.record_boots, boot)
        return result16.BootNotification(
            current_time=_now(), interval=HEARTBEAT_INTERVAL, status="Accepted"
        )

    @after(Action16.boot_notification)
    def after_boot_notification(self, **_: Any) -> None:
        self.csms.tell_if_in_maintenance(
            lambda: self.call(call16.ChangeAvailability(connector_id=0, type="Inoperative"))
        )

    @on(Action16.heartbeat)
    async def on_heartbeat(self, **_: Any) -> result16.Heartbeat:
        await self.csms.heartbeat()
        return result16.Heartbeat(current_time=_now())

    @on(Action16.status_notification)
    async def on_status_notification(
        self, connector_id: int, error_code: str, status: str, **extra: Any
    ) -> result16.StatusNotification:
        reported = _when(extra["timestamp"]) if extra.get("timestamp") else None
        report = chargers.StatusReport(
            self.csms.charger,
            connector_number=connector_id,
            status=status,
            error_code=error_code,
            reported_at=reported,
        )
        await self.csms.together(sessions.record_statuses, report)
        return result16.StatusNotification()

    @on(Action16.authorize)
    async def on_authorize(self, id_tag: str, **_: Any) -> result16.Authorize:
        decision = await self.csms.transact(
            lambda s: id_tags.authorize(s, token=id_tag, secret=self.csms.secret)
        )
        return result16.Authorize(id_tag_info=id_tag_info(decision))

    @on(Action16.start_transaction)
    async def on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **_: Any
    ) -> result16.StartTransaction:
        started_at = _when(timestamp)
        row, decision = await self.csms.transact(
            lambda s: sessions.start_transaction(
                s,
                self.csms.charger,
                connector_id=connector_id,
                id_tag=id_tag,
                meter_start_wh=meter_start,
                started_at=started_at,
                ocpp_version="1.6",
                secret=self.csms.secret,
            )
        )
        return result16.StartTransaction(
            transaction_id=int(row.transaction_id or row.id),
            id_tag_info=id_tag_info(decision),
        )

    @on(Action16.stop_transaction)
    async def on_stop_transaction(
        self, meter_stop: int, timestamp: str, transaction_id: int, **extra: Any
    ) -> result16.StopTransaction:
        stopped_at = _when(timestamp)
        samples = parse_meter_values(extra.get("transaction_data"))

        async def work(s: AsyncSession) -> None:
            row = await sessions.find_transaction(
                s, self.csms.charger, transaction_id=str(transaction_id)
            )
            if row is not None and samples:
                await sessions.record_meter_values(
                    s,
                    self.csms.charger,
                    connector_id=row.connector_id,
                    transaction_id=str(transaction_id),
                    samples=samples,
                )
            await sessions.stop_transaction(
                s,
                self.csms.charger,
                transaction_id=str(transaction_id),
                meter_stop_wh=meter_stop,
                stopped_at=stopped_at,
                reason=extra.get("reason"),
            )

        await self.csms.transact(work)
        id_tag = extra.get("id_tag")
        if not id_tag:
            return result16.StopTransaction()
        decision = await self.csms.transact(
            lambda s: id_tags.authorize(s, token=id_tag, secret=self.csms.secret, starting=False)
        )
        return result16.StopTransaction(id_tag_info=id_tag_info(decision))

    @on(Action16.meter_values)
    async def on_meter_values(
        self, connector_id: int, meter_value: list[dict[str, Any]], **extra: Any
    ) -> result16.MeterValues:
        transaction = extra.get("transaction_id")
        report = sessions.MeterReport(
            self.csms.charger,
            connector_id=connector_id,
            transaction_id=None if transaction is None else str(transaction),
            samples=parse_meter_values(meter_value),
        )
        await self.csms.together(sessions.record_meter_reports, report)
        return result16.MeterValues()

    @on(Action16.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **_: Any) -> result16.DataTransfer:
        log.info("charger %s: DataTransfer from vendor %s", self.id, vendor_id[:255])
        return result16.DataTransfer(status="UnknownVendorId")

    @on(Action16.firmware_status_notification)
    async def on_firmware_status_notification(
        self, status: str, **_: Any
    ) -> result16.FirmwareStatusNotification:
        log.info("charger %s: firmware %s", self.id, status)
        return result16.FirmwareStatusNotification()

    @on(Action16.diagnostics_status_notification)
    async def on_diagnostics_status_notification(
        self, status: str, **_: Any
    ) -> result16.DiagnosticsStatusNotification:
        log.info("charger %s: diagnostics %s", self.id, status)
        return result16.DiagnosticsStatusNotification()


class ChargePointV201(ChargePoint201):  # type: ignore[misc]
    """OCPP 2.0.1: TransactionEvent Started/Updated/Ended makes and closes sessions."""

    def __init__(self, charge_point_id: str, connection: Any, csms: Csms) -> None:
        super().__init__(charge_point_id, connection, response_timeout=3600, logger=FRAME_LOG)
        self.csms = csms

    @on(Action201.boot_notification)
    async def on_boot_notification(
        self, charging_station: dict[str, Any], reason: str, **_: Any
    ) -> result201.BootNotification:
        boot = chargers.Boot(
            self.csms.charger,
            vendor=charging_station.get("vendor_name"),
            model=charging_station.get("model"),
            serial_number=charging_station.get("serial_number"),
            firmware_version=charging_station.get("firmware_version"),
        )
        await self.csms.together(sessions.record_boots, boot)
        return result201.BootNotification(
            current_time=_now(), interval=HEARTBEAT_INTERVAL, status="Accepted"
        )

    @after(Action201.boot_notification)
    def after_boot_notification(self, **_: Any) -> None:
        self.csms.tell_if_in_maintenance(
            lambda: self.call(call201.ChangeAvailability(operational_status="Inoperative"))
        )

    @on(Action201.heartbeat)
    async def on_heartbeat(self, **_: Any) -> result201.Heartbeat:
        await self.csms.heartbeat()
        return result201.Heartbeat(current_time=_now())

    @on(Action201.status_notification)
    async def on_status_notification(
        self, timestamp: str, connector_status: str, evse_id: int, connector_id: int, **_: Any
    ) -> result201.StatusNotification:
        reported = _when(timestamp)
        report = chargers.StatusReport(
            self.csms.charger,
            connector_number=evse_id,
            status=connector_status,
            error_code=None,
            reported_at=reported,
        )
        await self.csms.together(sessions.record_statuses, report)
        return result201.StatusNotification()

    @on(Action201.authorize)
    async def on_authorize(self, id_token: dict[str, Any], **_: Any) -> result201.Authorize:
        token = id_token.get("id_token")
        decision = await self.csms.transact(
            lambda s: id_tags.authorize(s, token=token, secret=self.csms.secret)
        )
        return result201.Authorize(id_token_info=id_token_info(decision))

    @on(Action201.transaction_event)
    async def on_transaction_event(
        self,
        event_type: str,
        timestamp: str,
        trigger_reason: str,
        seq_no: int,
        transaction_info: dict[str, Any],
        **extra: Any,
    ) -> result201.TransactionEvent:
        at = _when(timestamp)
        samples = parse_meter_values(extra.get("meter_value"))
        transaction_id = str(transaction_info["transaction_id"])
        evse = extra.get("evse") or {}
        token = (extra.get("id_token") or {}).get("id_token")
        charger = self.csms.charger

        async def work(s: AsyncSession) -> Authorization | None:
            row = await sessions.find_transaction(s, charger, transaction_id=transaction_id)
            decision: Authorization | None = None
            if row is None:
                # Started, or the first event we hear of a transaction begun offline.
                row, decision = await sessions.start_transaction(
                    s,
                    charger,
                    connector_id=int(evse.get("id") or 1),
                    id_tag=token,
                    meter_start_wh=_first_energy(samples) or 0,
                    started_at=at,
                    ocpp_version="2.0.1",
                    secret=self.csms.secret,
                    transaction_id=transaction_id,
                    remote_start_id=transaction_info.get("remote_start_id"),
                )
            elif token:
                decision = await sessions.authorize_later_token(
                    s, row, token=token, secret=self.csms.secret, ending=event_type == "Ended"
                )
            if samples:
                await sessions.record_meter_values(
                    s,
                    charger,
                    connector_id=row.connector_id,
                    transaction_id=transaction_id,
                    samples=samples,
                )
            if event_type == "Ended":
                await sessions.stop_transaction(
                    s,
                    charger,
                    transaction_id=transaction_id,
                    meter_stop_wh=_last_energy(samples),
                    stopped_at=at,
                    reason=transaction_info.get("stopped_reason") or trigger_reason,
                )
            return decision if token else None

        decision = await self.csms.transact(work)
        if decision is None:
            return result201.TransactionEvent()
        return result201.TransactionEvent(id_token_info=id_token_info(decision))

    @on(Action201.meter_values)
    async def on_meter_values(
        self, evse_id: int, meter_value: list[dict[str, Any]], **_: Any
    ) -> result201.MeterValues:
        report = sessions.MeterReport(
            self.csms.charger,
            connector_id=evse_id,
            transaction_id=None,
            samples=parse_meter_values(meter_value),
        )
        await self.csms.together(sessions.record_meter_reports, report)
        return result201.MeterValues()

    @on(Action201.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **_: Any) -> result201.DataTransfer:
        log.info("charger %s: DataTransfer from vendor %s", self.id, vendor_id[:255])
        return result201.DataTransfer(status="UnknownVendorId")

    @on(Action201.firmware_status_notification)
    async def on_firmware_status_notification(
        self, status: str, **_: Any
    ) -> result201.FirmwareStatusNotification:
        log.info("charger %s: firmware %s", self.id, status)
        return result201.FirmwareStatusNotification()

    @on(Action201.log_status_notification)
    async def on_log_status_notification(
        self, status: str, **_: Any
    ) -> result201.LogStatusNotification:
        log.info("charger %s: log upload %s", self.id, status)
        return result201.LogStatusNotification()

    @on(Action201.security_event_notification)
    async def on_security_event_notification(
        self, type: str, **_: Any
    ) -> result201.SecurityEventNotification:
        log.warning("charger %s: security event %s", self.id, type[:50])
        return result201.SecurityEventNotification()

    @on(Action201.notify_event)
    async def on_notify_event(self, **_: Any) -> result201.NotifyEvent:
        return result201.NotifyEvent()


HANDLERS: dict[str, type[ChargePointV16] | type[ChargePointV201]] = {
    "1.6": ChargePointV16,
    "2.0.1": ChargePointV201,
}
