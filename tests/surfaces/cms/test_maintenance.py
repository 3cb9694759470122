"""EV-CMS /api/v1/maintenance: records of one's own chargers, their shape, the rules of
moving them, stats with overdue, bulk scheduling in one transaction, and the history on
the charger. (Start and complete against a connected charger: tests/ocpp.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from evcare.charging.chargers.models import Charger
from evcare.charging.maintenance.models import MaintenanceRecord
from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.engagement.notification_models import Notification
from evcare.identity.models import Role
from tests.factories.charging import make_charger, make_station
from tests.factories.identity import signed_in
from tests.factories.ocpp import make_session
from tests.surfaces.cms.test_auth import assert_cms_error

BASE = "/api/v1/maintenance"
RECORD_FIELDS = {
    "id",
    "chargerId",
    "chargerName",
    "type",
    "description",
    "status",
    "priority",
    "scheduledDate",
    "startedDate",
    "completedDate",
    "assignedTo",
    "notes",
    "partsReplaced",
    "cost",
    "currency",
    "createdAt",
}
ROUTES = [
    ("GET", BASE),
    ("GET", f"{BASE}/stats"),
    ("POST", f"{BASE}/schedule"),
    ("POST", BASE),
    ("GET", f"{BASE}/1"),
    ("PUT", f"{BASE}/1"),
    ("DELETE", f"{BASE}/1"),
    ("PUT", f"{BASE}/1/start"),
    ("PUT", f"{BASE}/1/complete"),
]


def when(days: float = 1) -> str:
    return (utcnow() + timedelta(days=days)).isoformat()


async def _brand_charger(runtime: Runtime, client: httpx.AsyncClient) -> Any:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    charger = await make_charger(runtime, await make_station(runtime, brand))
    return brand, headers, charger


async def _create(
    client: httpx.AsyncClient, headers: dict[str, str], charger: Charger, **extra: Any
) -> dict[str, Any]:
    body = {
        "chargerId": charger.charge_point_id,
        "type": "preventive",
        "description": "Quarterly inspection",
        "scheduledDate": when(),
        "priority": "high",
    } | extra
    response = await client.post(BASE, json=body, headers=headers)
    assert response.status_code == 201, response.text
    record: dict[str, Any] = response.json()["data"]["record"]
    return record


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_needs_a_token(client: httpx.AsyncClient, method: str, path: str) -> None:
    assert_cms_error(await client.request(method, path, json={}), 401)


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_drivers_may_not_manage_maintenance(
    client: httpx.AsyncClient, runtime: Runtime, method: str, path: str
) -> None:
    _, headers = await signed_in(runtime, client, Role.USER)
    response = await client.request(method, path, json={}, headers=headers)
    assert "MAINTENANCE" in str(assert_cms_error(response, 403)["message"])


async def test_a_record_has_the_documented_shape(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers, charger = await _brand_charger(runtime, client)
    record = await _create(client, headers, charger, assignedTo="Ravi")
    assert set(record) == RECORD_FIELDS
    assert record["chargerId"] == charger.charge_point_id
    assert record["chargerName"] == charger.name
    assert (record["type"], record["status"], record["priority"]) == (
        "preventive",
        "scheduled",
        "high",
    )
    assert record["assignedTo"] == "Ravi" and record["cost"] is None
    got = await client.get(f"{BASE}/{record['id']}", headers=headers)
    assert got.status_code == 200 and got.json()["data"]["record"] == record
    listed = await client.get(f"{BASE}?status=scheduled&chargerId={charger.id}", headers=headers)
    assert listed.json()["data"]["records"] == [record]
    assert listed.json()["pagination"]["total"] == 1


async def test_a_brand_sees_and_touches_only_its_own_chargers_records(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, owner, charger = await _brand_charger(runtime, client)
    _, other, _ = await _brand_charger(runtime, client)
    record = await _create(client, owner, charger)
    for method, path, body in [
        ("GET", f"{BASE}/{record['id']}", None),
        ("PUT", f"{BASE}/{record['id']}", {"notes": "mine now"}),
        ("PUT", f"{BASE}/{record['id']}/start", None),
        ("PUT", f"{BASE}/{record['id']}/complete", {"notes": "done"}),
    ]:
        assert_cms_error(await client.request(method, path, json=body, headers=other), 404)
    body = {"chargerId": charger.charge_point_id, "type": "corrective", "description": "x"}
    refused = await client.post(BASE, json=body | {"scheduledDate": when()}, headers=other)
    assert_cms_error(refused, 404)
    assert (await client.get(BASE, headers=other)).json()["data"]["records"] == []
    listed = await client.get(f"{BASE}?chargerId={charger.charge_point_id}", headers=other)
    assert_cms_error(listed, 404)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    assert (await client.get(BASE, headers=admin)).json()["pagination"]["total"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "cosmetic"}, "type"),
        ({"priority": "urgent"}, "priority"),
        ({"scheduledDate": "2026-13-01T00:00:00Z"}, "scheduledDate"),
        ({"scheduledDate": "2026-12-01T10:00:00"}, "scheduledDate"),  # no offset
        ({"description": ""}, "description"),
        ({"chargerId": "bad id!"}, "chargerId"),
        ({"cost": 5}, "cost"),  # unknown field
    ],
)
async def test_bad_records_are_422_naming_the_field(
    client: httpx.AsyncClient, runtime: Runtime, body: dict[str, Any], field: str
) -> None:
    _, headers, charger = await _brand_charger(runtime, client)
    base = {
        "chargerId": charger.charge_point_id,
        "type": "preventive",
        "description": "x",
        "scheduledDate": when(),
    }
    response = await client.post(BASE, json=base | body, headers=headers)
    assert field in str(assert_cms_error(response, 422)["errors"])


async def test_schedule_creates_one_record_per_charger_or_none(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers, first = await _brand_charger(runtime, client)
    station = await make_station(runtime, brand)
    second = await make_charger(runtime, station)
    _, _, foreign = await _brand_charger(runtime, client)
    body = {"scheduledDate": when(3), "type": "preventive"}
    refused = await client.post(
        f"{BASE}/schedule",
        json=body | {"chargerIds": [first.charge_point_id, foreign.charge_point_id]},
        headers=headers,
    )
    assert_cms_error(refused, 404)
    async with runtime.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(MaintenanceRecord)) == 0
    response = await client.post(
        f"{BASE}/schedule",
        json=body | {"chargerIds": [first.charge_point_id, str(second.id)]},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    records = response.json()["data"]["records"]
    assert [r["chargerId"] for r in records] == [first.charge_point_id, second.charge_point_id]
    assert all(set(r) == RECORD_FIELDS and r["status"] == "scheduled" for r in records)
    twice = await client.post(
        f"{BASE}/schedule",
        json=body | {"chargerIds": [str(first.id), first.charge_point_id]},
        headers=headers,
    )
    assert "chargerIds" in str(assert_cms_error(twice, 400)["errors"])
    empty = await client.post(f"{BASE}/schedule", json=body | {"chargerIds": []}, headers=headers)
    assert "chargerIds" in str(assert_cms_error(empty, 422)["errors"])


async def test_an_admin_scheduling_work_tells_the_station_owner(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, brand_headers, charger = await _brand_charger(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    response = await client.post(
        f"{BASE}/schedule",
        json={
            "chargerIds": [charger.charge_point_id],
            "scheduledDate": when(),
            "type": "emergency",
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    await _create(client, brand_headers, charger)  # its own scheduling: no notice
    await runtime.outbox.drain()
    inbox = await client.get("/api/v1/notifications", headers=brand_headers)
    notices = inbox.json()["data"]["notifications"]
    assert [(n["title"], n["type"]) for n in notices] == [("Maintenance scheduled", "system")]
    assert notices[0]["data"] == {"chargerIds": [charger.charge_point_id]}
    async with runtime.sessionmaker() as session:
        channels = await session.scalars(
            select(Notification.channel).where(Notification.user_id == brand.id)
        )
        assert sorted(channels.all()) == ["email", "in_app"]


async def test_stats_count_by_status_and_overdue(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers, charger = await _brand_charger(runtime, client)
    await _create(client, headers, charger, scheduledDate=when(-2))  # overdue
    await _create(client, headers, charger, scheduledDate=when(2))
    started = await _create(client, headers, charger, scheduledDate=when(-1))
    assert (await client.put(f"{BASE}/{started['id']}/start", headers=headers)).status_code == 200
    cancelled = await _create(client, headers, charger, scheduledDate=when(-3))
    await client.put(f"{BASE}/{cancelled['id']}", json={"status": "cancelled"}, headers=headers)
    _, other, _ = await _brand_charger(runtime, client)
    stats = await client.get(f"{BASE}/stats", headers=headers)
    assert stats.json()["data"] == {
        "total": 4,
        "pending": 2,
        "inProgress": 1,
        "completed": 0,
        "overdue": 2,  # the late scheduled one and the late one in progress
    }
    assert (await client.get(f"{BASE}/stats", headers=other)).json()["data"]["total"] == 0


async def test_a_charger_not_connected_is_marked_without_a_command_and_given_back_offline(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers, charger = await _brand_charger(runtime, client)
    record = await _create(client, headers, charger)
    started = await client.put(f"{BASE}/{record['id']}/start", headers=headers)
    assert started.status_code == 200, started.text
    assert started.json()["message"].startswith("Charger not connected")
    data = started.json()["data"]["record"]
    assert data["status"] == "in-progress" and data["startedDate"] is not None
    charger_now = await client.get(f"/api/v1/chargers/{charger.id}", headers=headers)
    assert charger_now.json()["data"]["charger"]["status"] == "Maintenance"
    assert_cms_error(await client.put(f"{BASE}/{record['id']}/start", headers=headers), 409)
    done = await client.put(
        f"{BASE}/{record['id']}/complete",
        json={"notes": "Replaced RCD", "partsReplaced": ["RCD 30mA"], "cost": 1499.5},
        headers=headers,
    )
    assert done.status_code == 200, done.text
    finished = done.json()["data"]["record"]
    assert finished["status"] == "completed" and finished["completedDate"] is not None
    assert (finished["cost"], finished["currency"]) == (1499.5, "INR")
    assert finished["partsReplaced"] == ["RCD 30mA"] and finished["notes"] == "Replaced RCD"
    async with runtime.sessionmaker() as session:
        row = await session.get(MaintenanceRecord, int(record["id"]))
        assert row is not None and row.cost_minor == 149_950  # stored in paise
        assert (await session.get(Charger, charger.id)).status == "Offline"  # type: ignore[union-attr]
    assert_cms_error(
        await client.put(f"{BASE}/{record['id']}/complete", json={"notes": "x"}, headers=headers),
        409,
    )


async def test_start_is_refused_while_a_session_runs_unless_forced(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers, charger = await _brand_charger(runtime, client)
    driver, _ = await signed_in(runtime, client)
    await make_session(runtime, charger, user=driver, started_at=utcnow(), minutes=None)
    record = await _create(client, headers, charger)
    refused = await client.put(f"{BASE}/{record['id']}/start", headers=headers)
    assert "force" in str(assert_cms_error(refused, 409)["errors"])
    got = await client.get(f"{BASE}/{record['id']}", headers=headers)
    assert got.json()["data"]["record"]["status"] == "scheduled"
    forced = await client.put(f"{BASE}/{record['id']}/start", json={"force": True}, headers=headers)
    assert forced.status_code == 200, forced.text
    assert forced.json()["data"]["record"]["status"] == "in-progress"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "notes"),
        ({"notes": "x", "cost": -1}, "cost"),
        ({"notes": "x", "cost": 10.123}, "cost"),
        ({"notes": "x", "partsReplaced": [""]}, "partsReplaced"),
        ({"notes": "x", "currency": "XYZ"}, "currency"),
    ],
)
async def test_bad_completions_are_422_naming_the_field(
    client: httpx.AsyncClient, runtime: Runtime, body: dict[str, Any], field: str
) -> None:
    _, headers, charger = await _brand_charger(runtime, client)
    record = await _create(client, headers, charger)
    await client.put(f"{BASE}/{record['id']}/start", headers=headers)
    response = await client.put(f"{BASE}/{record['id']}/complete", json=body, headers=headers)
    assert field in str(assert_cms_error(response, 422)["errors"])


async def test_update_sets_notes_and_cancels_but_leaves_starting_to_start(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers, charger = await _brand_charger(runtime, client)
    record = await _create(client, headers, charger)
    url = f"{BASE}/{record['id']}"
    noted = await client.put(url, json={"notes": "Bring the ladder"}, headers=headers)
    assert noted.json()["data"]["record"]["notes"] == "Bring the ladder"
    moved = await client.put(url, json={"status": "in-progress"}, headers=headers)
    assert "status" in str(assert_cms_error(moved, 400)["errors"])
    early = await client.put(url, json={"completedDate": when(0)}, headers=headers)
    assert_cms_error(early, 409)
    bad = await client.put(url, json={"status": "paused"}, headers=headers)
    assert "status" in str(assert_cms_error(bad, 422)["errors"])
    cancelled = await client.put(url, json={"status": "cancelled"}, headers=headers)
    assert cancelled.json()["data"]["record"]["status"] == "cancelled"
    assert_cms_error(await client.put(f"{url}/start", headers=headers), 409)


async def test_only_admins_delete_records(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers, charger = await _brand_charger(runtime, client)
    record = await _create(client, headers, charger)
    refused = await client.delete(f"{BASE}/{record['id']}", headers=headers)
    assert "DELETE:MAINTENANCE" in str(assert_cms_error(refused, 403)["message"])
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    deleted = await client.delete(f"{BASE}/{record['id']}", headers=admin)
    assert deleted.json() == {
        "success": True,
        "message": "Maintenance record deleted",
        "data": {"success": True},
    }
    assert_cms_error(await client.get(f"{BASE}/{record['id']}", headers=admin), 404)
    assert_cms_error(await client.delete(f"{BASE}/{record['id']}", headers=admin), 404)


async def test_the_chargers_history_lists_its_records_for_anyone_who_sees_the_charger(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers, charger = await _brand_charger(runtime, client)
    later = await _create(client, headers, charger, scheduledDate=when(5))
    sooner = await _create(client, headers, charger, scheduledDate=when(1))
    _, driver = await signed_in(runtime, client)
    response = await client.get(
        f"/api/v1/chargers/{charger.charge_point_id}/maintenance-history", headers=driver
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["history"] == [later, sooner]
