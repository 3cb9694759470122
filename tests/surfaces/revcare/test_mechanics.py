"""RevCare /mechanics/ and /mechanics/assignment_type: admins manage, mechanics see themselves."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.surfaces.revcare.helpers import assert_revcare_error, revcare_login

NEW_MECHANIC = {
    "first_name": "Ravi",
    "last_name": "Kumar",
    "email": "ravi@revcare.in",
    "phone": "9000000034",
    "password": "Spanner#2026",
    "skills": ["EV battery", "Brakes", "EV battery"],
    "experience_years": 6,
}

MECHANIC_FIELDS = {
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "status",
    "created_at",
    "skills",
    "experience_years",
    "is_available",
    "assignment_type_id",
    "jobs_per_slot",
}


async def test_an_admin_creates_lists_updates_and_deletes_a_mechanic(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    doorstep = await client.post(
        "/mechanics/assignment_type", json={"name": "Doorstep"}, headers=headers
    )
    assert doorstep.status_code == 201, doorstep.text
    created = await client.post(
        "/mechanics/",
        json={**NEW_MECHANIC, "assignment_type_id": doorstep.json()["id"]},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == MECHANIC_FIELDS
    assert body["id"].startswith("MEC") and len(body["id"]) == 9
    assert body["skills"] == ["EV battery", "Brakes"]
    assert (body["assignment_type_id"], body["is_available"]) == (doorstep.json()["id"], True)
    assert "Spanner" not in created.text

    await make_other_mechanic(client, headers)
    filtered = await client.get(f"/mechanics/?mechanic_id={body['id']}", headers=headers)
    assert [m["id"] for m in filtered.json()] == [body["id"]]
    assert len((await client.get("/mechanics/", headers=headers)).json()) == 2

    updated = await client.put(
        f"/mechanics/{body['id']}",
        json={"is_available": False, "assignment_type_id": None, "last_name": "K"},
        headers=headers,
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["is_available"], updated.json()["assignment_type_id"]) == (False, None)
    assert updated.json()["last_name"] == "K"
    assert (await client.get(f"/mechanics/{body['id']}", headers=headers)).json() == updated.json()

    deleted = await client.delete(f"/mechanics/{body['id']}", headers=headers)
    assert deleted.json() == {"message": "Mechanic deleted"}
    assert_revcare_error(await client.get(f"/mechanics/{body['id']}", headers=headers), 404)


async def make_other_mechanic(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.post(
        "/mechanics/",
        json={"first_name": "Anu", "email": "anu@revcare.in", "phone": "9000000035"},
        headers=headers,
    )
    assert response.status_code == 201, response.text


async def test_a_mechanic_signs_in_and_sees_only_themselves(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    created = (await client.post("/mechanics/", json=NEW_MECHANIC, headers=admin)).json()
    await make_other_mechanic(client, admin)
    token = await revcare_login(client, NEW_MECHANIC["email"], NEW_MECHANIC["password"])
    mine = {"Authorization": f"Bearer {token}"}
    listed = await client.get("/mechanics/", headers=mine)
    assert [m["id"] for m in listed.json()] == [created["id"]]
    assert (await client.get(f"/mechanics/{created['id']}", headers=mine)).status_code == 200
    others = (await client.get("/mechanics/", headers=admin)).json()
    other_id = next(m["id"] for m in others if m["id"] != created["id"])
    assert_revcare_error(await client.get(f"/mechanics/{other_id}", headers=mine), 404)
    assert (await client.get(f"/mechanics/?mechanic_id={other_id}", headers=mine)).json() == []


async def test_a_mechanic_made_elsewhere_gets_a_default_profile(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    mechanic, _ = await signed_in(runtime, client, Role.MECHANIC)
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    fetched = await client.get(f"/mechanics/MEC{mechanic.id:06d}", headers=headers)
    assert fetched.status_code == 200, fetched.text
    assert (fetched.json()["skills"], fetched.json()["is_available"]) == ([], True)
    updated = await client.put(
        f"/mechanics/MEC{mechanic.id:06d}", json={"skills": ["AC"]}, headers=headers
    )
    assert updated.json()["skills"] == ["AC"]


async def test_mechanic_routes_refuse_anonymous_callers(client: httpx.AsyncClient) -> None:
    assert_revcare_error(await client.get("/mechanics/"), 401)
    assert_revcare_error(await client.post("/mechanics/", json=NEW_MECHANIC), 401)
    assert_revcare_error(await client.get("/mechanics/MEC000001"), 401)
    assert_revcare_error(await client.put("/mechanics/MEC000001", json={}), 401)
    assert_revcare_error(await client.delete("/mechanics/MEC000001"), 401)
    assert_revcare_error(await client.get("/mechanics/assignment_type"), 401)
    assert_revcare_error(await client.post("/mechanics/assignment_type", json={}), 401)
    assert_revcare_error(await client.put("/mechanics/assignment_type/1", json={}), 401)
    assert_revcare_error(await client.delete("/mechanics/assignment_type/1"), 401)


async def test_customers_cannot_read_and_mechanics_cannot_write(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    mechanic, mechanic_headers = await signed_in(runtime, client, Role.MECHANIC)
    _, customer = await signed_in(runtime, client, Role.USER)
    body = assert_revcare_error(await client.get("/mechanics/", headers=customer), 403)
    assert body["detail"] == "READ:MECHANICS scope required"
    assert_revcare_error(await client.get("/mechanics/assignment_type", headers=customer), 403)
    own = f"/mechanics/MEC{mechanic.id:06d}"
    assert_revcare_error(
        await client.put(own, json={"is_available": False}, headers=mechanic_headers), 403
    )
    assert_revcare_error(await client.delete(own, headers=mechanic_headers), 403)
    assert_revcare_error(
        await client.post("/mechanics/", json=NEW_MECHANIC, headers=mechanic_headers), 403
    )
    assert_revcare_error(
        await client.post(
            "/mechanics/assignment_type", json={"name": "Roadside"}, headers=mechanic_headers
        ),
        403,
    )


async def test_ids_that_are_not_mechanics_are_404(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    customer, _ = await signed_in(runtime, client, Role.USER)
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    for mechanic_id in ("MEC999999", f"MEC{customer.id:06d}", f"CST{customer.id:06d}", "x"):
        assert_revcare_error(await client.get(f"/mechanics/{mechanic_id}", headers=headers), 404)
        assert_revcare_error(
            await client.put(f"/mechanics/{mechanic_id}", json={}, headers=headers), 404
        )
        assert_revcare_error(await client.delete(f"/mechanics/{mechanic_id}", headers=headers), 404)
    assert_revcare_error(await client.get("/mechanics/assignment_type/9999", headers=headers), 404)
    assert_revcare_error(
        await client.put("/mechanics/assignment_type/9999", json={}, headers=headers), 404
    )
    assert_revcare_error(
        await client.delete("/mechanics/assignment_type/9999", headers=headers), 404
    )


async def test_bad_mechanic_input_is_422_and_unknown_assignment_type_400(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    bad = await client.post(
        "/mechanics/",
        json={"first_name": "", "email": "x", "experience_years": 99, "skills": [""]},
        headers=headers,
    )
    fields = {item["loc"][1] for item in assert_revcare_error(bad, 422)["detail"]}
    assert fields == {"first_name", "email", "experience_years", "skills"}
    unknown = await client.post(
        "/mechanics/", json={**NEW_MECHANIC, "assignment_type_id": 4242}, headers=headers
    )
    assert_revcare_error(unknown, 400)
    assert_revcare_error(
        await client.post("/mechanics/assignment_type", json={"name": ""}, headers=headers), 422
    )


async def test_assignment_types_are_unique_and_deleting_one_unassigns_mechanics(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    created = await client.post(
        "/mechanics/assignment_type",
        json={"name": "Workshop", "description": "In the bay"},
        headers=headers,
    )
    type_id = created.json()["id"]
    assert created.json() == {"id": type_id, "name": "Workshop", "description": "In the bay"}
    duplicate = await client.post(
        "/mechanics/assignment_type", json={"name": "workshop"}, headers=headers
    )
    assert_revcare_error(duplicate, 409)
    renamed = await client.put(
        f"/mechanics/assignment_type/{type_id}", json={"name": "Bay"}, headers=headers
    )
    assert renamed.json()["name"] == "Bay"
    mechanic = await client.post(
        "/mechanics/", json={**NEW_MECHANIC, "assignment_type_id": type_id}, headers=headers
    )
    await client.delete(f"/mechanics/assignment_type/{type_id}", headers=headers)
    refetched = await client.get(f"/mechanics/{mechanic.json()['id']}", headers=headers)
    assert refetched.json()["assignment_type_id"] is None
    assert (await client.get("/mechanics/assignment_type", headers=headers)).json() == []
