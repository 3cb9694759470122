"""Maintenance against real charge points: ``start`` sends ChangeAvailability Inoperative
and ``complete`` Operative (1.6 and 2.0.1); a charger that rejects it refuses the start;
the charger stays in Maintenance whatever it reports meanwhile; a Faulted report opens one
corrective record and tells the brand."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from ocpp.routing import on
from ocpp.v16 import call
from ocpp.v16 import call_result as result16
from ocpp.v201 import call as call201
from sqlalchemy import select

from evcare.charging.chargers.models import Charger
from evcare.charging.maintenance.models import MaintenanceRecord
from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User
from tests.factories import ocpp as ocpp_factory
from tests.factories.identity import bearer, login, make_user
from tests.factories.ocpp import SimCharger16, connect, make_charger

BASE = "/api/v1/maintenance"


async def _setup(
    runtime: Runtime, client: httpx.AsyncClient
) -> tuple[User, dict[str, str], Charger]:
    brand = await make_user(runtime, role=Role.BRAND)
    charger = await make_charger(runtime, owner=brand)
    return brand, bearer(await login(client, brand)), charger


async def _record(client: httpx.AsyncClient, headers: dict[str, str], charger: Charger) -> str:
    response = await client.post(
        BASE,
        json={
            "chargerId": charger.charge_point_id,
            "type": "preventive",
            "description": "Cable check",
            "scheduledDate": utcnow().isoformat(),
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["record"]["id"])


async def _status(runtime: Runtime, charger: Charger) -> str:
    async with runtime.sessionmaker() as session:
        row = await session.get(Charger, charger.id, populate_existing=True)
        assert row is not None
        return row.status


async def test_start_and_complete_tell_a_16_charger_inoperative_then_operative(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, headers, charger = await _setup(runtime, client)
    record = await _record(client, headers, charger)
    async with connect(live_server, charger.charge_point_id) as cp:
        started = await client.put(f"{BASE}/{record}/start", headers=headers)
        assert started.status_code == 200, started.text
        assert (
            started.json()["message"] == "Charger answered ChangeAvailability Inoperative: Accepted"
        )
        assert await _status(runtime, charger) == "Maintenance"
        # What a 1.6 charger says next: it is Unavailable. It stays in Maintenance.
        await cp.call(
            call.StatusNotification(connector_id=0, error_code="NoError", status="Unavailable")
        )
        await cp.call(call.Heartbeat())
        assert await _status(runtime, charger) == "Maintenance"
        done = await client.put(f"{BASE}/{record}/complete", json={"notes": "ok"}, headers=headers)
        assert done.status_code == 200, done.text
    assert cp.received == [
        ("ChangeAvailability", {"connector_id": 0, "type": "Inoperative"}),
        ("ChangeAvailability", {"connector_id": 0, "type": "Operative"}),
    ]
    assert done.json()["data"]["record"]["status"] == "completed"


async def test_a_201_charger_gets_the_201_shape_of_change_availability(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, headers, charger = await _setup(runtime, client)
    record = await _record(client, headers, charger)
    async with connect(live_server, charger.charge_point_id, subprotocol="ocpp2.0.1") as cs:
        assert (await client.put(f"{BASE}/{record}/start", headers=headers)).status_code == 200
        done = await client.put(f"{BASE}/{record}/complete", json={"notes": "ok"}, headers=headers)
        assert done.status_code == 200, done.text
        assert await _status(runtime, charger) == "Online"
    assert cs.received == [
        ("ChangeAvailability", {"operational_status": "Inoperative"}),
        ("ChangeAvailability", {"operational_status": "Operative"}),
    ]


async def _received(cp: Any, action: str) -> list[dict[str, Any]]:
    """What the charger got of ``action`` so far, waiting briefly for a call in flight."""
    for _ in range(100):
        got = [payload for name, payload in cp.received if name == action]
        if got:
            return got
        await asyncio.sleep(0.05)
    return []


async def test_a_charger_away_when_maintenance_started_is_told_inoperative_when_it_boots(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, headers, charger = await _setup(runtime, client)
    record = await _record(client, headers, charger)
    started = await client.put(f"{BASE}/{record}/start", headers=headers)  # not connected
    assert started.status_code == 200, started.text
    assert await _status(runtime, charger) == "Maintenance"
    async with connect(live_server, charger.charge_point_id) as cp:
        await cp.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        assert await _received(cp, "ChangeAvailability") == [
            {"connector_id": 0, "type": "Inoperative"}
        ]
        assert await _status(runtime, charger) == "Maintenance"
    async with connect(live_server, charger.charge_point_id, subprotocol="ocpp2.0.1") as cs:
        await cs.call(
            call201.BootNotification(
                charging_station={"model": "Terra DC", "vendor_name": "ABB"}, reason="PowerUp"
            )
        )
        assert await _received(cs, "ChangeAvailability") == [{"operational_status": "Inoperative"}]


async def test_a_charger_not_in_maintenance_is_told_nothing_when_it_boots(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, _, charger = await _setup(runtime, client)
    async with connect(live_server, charger.charge_point_id) as cp:
        await cp.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        await cp.call(call.Heartbeat())  # the boot's after-handler has run by now
        await asyncio.sleep(0.2)
    assert cp.received == []


class RefusingCharger(SimCharger16):
    @on("ChangeAvailability")
    def on_change_availability(self, connector_id: int, type: str) -> result16.ChangeAvailability:
        self.received.append(("ChangeAvailability", {"connector_id": connector_id, "type": type}))
        return result16.ChangeAvailability(status="Rejected")


async def test_a_charger_that_rejects_the_command_refuses_the_start_and_nothing_changes(
    live_server: str,
    runtime: Runtime,
    client: httpx.AsyncClient,
    monkeypatch: Any,
) -> None:
    monkeypatch.setitem(ocpp_factory.SIMULATORS, "ocpp1.6", RefusingCharger)
    _, headers, charger = await _setup(runtime, client)
    record = await _record(client, headers, charger)
    async with connect(live_server, charger.charge_point_id) as cp:
        refused = await client.put(f"{BASE}/{record}/start", headers=headers)
    assert refused.status_code == 400, refused.text
    assert "rejected ChangeAvailability Inoperative" in refused.json()["message"]
    assert cp.received == [("ChangeAvailability", {"connector_id": 0, "type": "Inoperative"})]
    got = await client.get(f"{BASE}/{record}", headers=headers)
    assert got.json()["data"]["record"]["status"] == "scheduled"


async def _records(runtime: Runtime, charger: Charger) -> list[MaintenanceRecord]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(MaintenanceRecord).where(MaintenanceRecord.charger_id == charger.id)
        )
        return list(rows.all())


async def test_a_faulted_report_opens_one_corrective_record_and_tells_the_brand(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, headers, charger = await _setup(runtime, client)
    async with connect(live_server, charger.charge_point_id) as cp:
        for _ in range(2):  # the same fault reported twice
            await cp.call(
                call.StatusNotification(
                    connector_id=1, error_code="GroundFailure", status="Faulted"
                )
            )
        await cp.call(
            call.StatusNotification(connector_id=0, error_code="OtherError", status="Faulted")
        )
        for _ in range(100):
            await runtime.outbox.drain()
            if await _records(runtime, charger):
                break
            await asyncio.sleep(0.05)
        await runtime.outbox.drain()
        (record,) = await _records(runtime, charger)
        assert (record.type, record.priority, record.status) == ("corrective", "high", "scheduled")
        assert record.opened_by_fault and "Faulted (connector 1)" in record.description
        inbox = await client.get("/api/v1/notifications", headers=headers)
        notices = inbox.json()["data"]["notifications"]
        assert [n["title"] for n in notices] == [f"Charger {charger.name} faulted"]
        assert notices[0]["data"]["maintenanceId"] == str(record.id)

        # Once it is dealt with, a new fault opens a new record.
        key = record.id
        await client.put(f"{BASE}/{key}", json={"status": "cancelled"}, headers=headers)
        await cp.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Available")
        )
        await cp.call(
            call.StatusNotification(connector_id=1, error_code="GroundFailure", status="Faulted")
        )
        for _ in range(100):
            await runtime.outbox.drain()
            if len(await _records(runtime, charger)) == 2:
                break
            await asyncio.sleep(0.05)
    assert sorted(r.status for r in await _records(runtime, charger)) == ["cancelled", "scheduled"]
