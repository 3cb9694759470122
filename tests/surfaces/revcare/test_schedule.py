"""RevCare /utils/status (work-status master) and /utils/timeslot (slots with capacity)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import httpx

from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.factories.service import make_status, make_timeslot
from tests.surfaces.revcare.helpers import assert_revcare_error

SLOT = {"start_time": "09:00", "end_time": "11:00", "capacity": 4}


async def test_anyone_lists_statuses_and_admins_add_one(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    # The migration's seeded statuses may or may not be there (tests empty tables), so
    # these codes are our own and the order is checked among them.
    first = await make_status(runtime, code="t-received", name="Received")
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    created = await client.post(
        "/utils/status",
        json={"code": "t-road-test", "name": "Road test", "sort_order": 900},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.json() == {
        "id": created.json()["id"],
        "code": "t_road_test",  # one spelling on the wire (snake_case)
        "name": "Road test",
        "description": "",
        "sort_order": 900,
        "is_final": False,
    }
    listed = (await client.get("/utils/status")).json()
    ours = [s for s in listed if s["code"].startswith("t_")]
    assert [(s["id"], s["code"]) for s in ours] == [
        (first.id, "t_received"),
        (created.json()["id"], "t_road_test"),
    ]


async def test_status_codes_are_unique_slugs(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await make_status(runtime, code="t-done", name="Done", final=True)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    duplicate = await client.post(
        "/utils/status", json={"code": "t-done", "name": "Done"}, headers=admin
    )
    assert_revcare_error(duplicate, 409)
    bad = await client.post(
        "/utils/status", json={"code": "In Progress!", "name": "", "sort_order": -1}, headers=admin
    )
    fields = {item["loc"][-1] for item in assert_revcare_error(bad, 422)["detail"]}
    assert fields == {"code", "name", "sort_order"}


async def test_creating_a_status_is_for_admins_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    body = {"code": "towing", "name": "Towing"}
    assert_revcare_error(await client.post("/utils/status", json=body), 401)
    for role in (Role.USER, Role.MECHANIC):
        _, headers = await signed_in(runtime, client, role)
        refused = assert_revcare_error(
            await client.post("/utils/status", json=body, headers=headers), 403
        )
        assert refused["detail"] == "MANAGE:SETTINGS scope required"


async def test_an_admin_creates_updates_and_deletes_a_timeslot(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    created = await client.post("/utils/timeslot", json=SLOT, headers=admin)
    assert created.status_code == 201, created.text
    slot = created.json()
    assert slot == {"id": slot["id"], **SLOT, "is_active": True}
    updated = await client.put(
        f"/utils/timeslot/{slot['id']}", json={"capacity": 6, "end_time": "12:30"}, headers=admin
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["capacity"], updated.json()["end_time"]) == (6, "12:30")
    deleted = await client.delete(f"/utils/timeslot/{slot['id']}", headers=admin)
    assert deleted.json() == {"message": "Timeslot deleted"}
    assert_revcare_error(await client.delete(f"/utils/timeslot/{slot['id']}", headers=admin), 404)


async def test_a_timeslot_must_end_after_it_starts_and_not_repeat(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await make_timeslot(runtime, start=time(9), end=time(11))
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    assert_revcare_error(await client.post("/utils/timeslot", json=SLOT, headers=admin), 409)
    backwards = {**SLOT, "start_time": "12:00", "end_time": "10:00"}
    body = assert_revcare_error(
        await client.post("/utils/timeslot", json=backwards, headers=admin), 400
    )
    assert "end after" in body["detail"]


async def test_bad_timeslot_input_is_422_naming_each_field(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    bad = await client.post(
        "/utils/timeslot",
        json={"start_time": "25:00", "end_time": "noon", "capacity": -1},
        headers=admin,
    )
    fields = {item["loc"][-1] for item in assert_revcare_error(bad, 422)["detail"]}
    assert fields == {"start_time", "end_time", "capacity"}
    assert_revcare_error(await client.get("/utils/timeslot?date=2026-02-30"), 422)
    assert_revcare_error(
        await client.put("/utils/timeslot/1", json={"capacity": 5000}, headers=admin), 422
    )


async def test_timeslot_writes_are_for_admins_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    slot = await make_timeslot(runtime)
    assert_revcare_error(await client.post("/utils/timeslot", json=SLOT), 401)
    assert_revcare_error(await client.put(f"/utils/timeslot/{slot.id}", json={}), 401)
    assert_revcare_error(await client.delete(f"/utils/timeslot/{slot.id}"), 401)
    _, customer = await signed_in(runtime, client)
    assert_revcare_error(await client.post("/utils/timeslot", json=SLOT, headers=customer), 403)
    assert_revcare_error(
        await client.put(f"/utils/timeslot/{slot.id}", json={}, headers=customer), 403
    )
    assert_revcare_error(await client.delete(f"/utils/timeslot/{slot.id}", headers=customer), 403)


async def test_unknown_timeslots_are_404(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    assert_revcare_error(
        await client.put("/utils/timeslot/9999", json={"capacity": 1}, headers=admin), 404
    )
    assert_revcare_error(await client.delete("/utils/timeslot/9999", headers=admin), 404)


async def test_availability_lists_active_slots_with_full_capacity_when_nothing_is_booked(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    morning = await make_timeslot(runtime, start=time(9), end=time(11), capacity=3)
    await make_timeslot(runtime, start=time(14), end=time(16), capacity=2, is_active=False)
    response = await client.get("/utils/timeslot?date=2026-12-01")
    assert response.status_code == 200, response.text
    assert response.json() == [
        {
            "id": morning.id,
            "start_time": "09:00",
            "end_time": "11:00",
            "capacity": 3,
            "is_active": True,
            "date": "2026-12-01",
            "booked": 0,
            "available": 3,
            # Shown in the workshop's time zone (Asia/Kolkata by default) with its offset.
            "time_zone": "Asia/Kolkata",
            "starts_at": "2026-12-01T14:30:00+05:30",
            "ends_at": "2026-12-01T16:30:00+05:30",
            "begun": utcnow() >= datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        }
    ]
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    everything = await client.get(
        "/utils/timeslot?date=2026-12-01&include_inactive=true", headers=admin
    )
    assert len(everything.json()) == 2
