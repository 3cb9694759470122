"""RevCare /address/ (one's own addresses, flagged serviceable) and /address/area."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.factories.service import make_area
from tests.surfaces.revcare.helpers import assert_revcare_error

HOME = {
    "label": "home",
    "line1": "12 Anna Salai",
    "city": "Chennai",
    "state": "Tamil Nadu",
    "pincode": "600001",
}
ADDRESS_FIELDS = {
    "id",
    "label",
    "line1",
    "line2",
    "landmark",
    "city",
    "state",
    "pincode",
    "is_default",
    "serviceable",
    "created_at",
}


async def test_a_customer_saves_reads_updates_and_deletes_their_address(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await make_area(runtime, pincode="600001")
    _, headers = await signed_in(runtime, client)
    created = await client.post("/address/", json=HOME, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == ADDRESS_FIELDS
    assert (body["serviceable"], body["is_default"]) == (True, True)
    assert (await client.get(f"/address/{body['id']}", headers=headers)).json() == body

    moved = await client.put(f"/address/{body['id']}", json={"pincode": "110001"}, headers=headers)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["pincode"], moved.json()["serviceable"]) == ("110001", False)

    deleted = await client.delete(f"/address/{body['id']}", headers=headers)
    assert deleted.json() == {"message": "Address deleted"}
    assert (await client.get("/address/", headers=headers)).json() == []


async def test_an_address_outside_every_active_area_is_saved_but_not_serviceable(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await make_area(runtime, pincode="600001", is_active=False)
    _, headers = await signed_in(runtime, client)
    created = await client.post("/address/", json=HOME, headers=headers)
    assert created.status_code == 201
    assert created.json()["serviceable"] is False


async def test_only_one_address_is_the_default(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await signed_in(runtime, client)
    first = (await client.post("/address/", json=HOME, headers=headers)).json()
    second = (
        await client.post(
            "/address/", json={**HOME, "label": "office", "is_default": True}, headers=headers
        )
    ).json()
    listed = {
        a["id"]: a["is_default"] for a in (await client.get("/address/", headers=headers)).json()
    }
    assert listed == {first["id"]: False, second["id"]: True}
    await client.put(f"/address/{first['id']}", json={"is_default": True}, headers=headers)
    listed = {
        a["id"]: a["is_default"] for a in (await client.get("/address/", headers=headers)).json()
    }
    assert listed == {first["id"]: True, second["id"]: False}


async def test_someone_elses_address_is_404_even_for_admins(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, owner = await signed_in(runtime, client)
    address = (await client.post("/address/", json=HOME, headers=owner)).json()
    _, other = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    for headers in (other, admin):
        assert_revcare_error(await client.get(f"/address/{address['id']}", headers=headers), 404)
        assert_revcare_error(
            await client.put(f"/address/{address['id']}", json={"label": "x"}, headers=headers),
            404,
        )
        assert_revcare_error(await client.delete(f"/address/{address['id']}", headers=headers), 404)
        assert (await client.get("/address/", headers=headers)).json() == []
    assert (await client.get(f"/address/{address['id']}", headers=owner)).status_code == 200


async def test_address_routes_refuse_anonymous_callers_and_mechanics(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    assert_revcare_error(await client.get("/address/"), 401)
    assert_revcare_error(await client.post("/address/", json=HOME), 401)
    assert_revcare_error(await client.get("/address/1"), 401)
    assert_revcare_error(await client.put("/address/1", json={}), 401)
    assert_revcare_error(await client.delete("/address/1"), 401)
    _, mechanic = await signed_in(runtime, client, Role.MECHANIC)
    body = assert_revcare_error(await client.post("/address/", json=HOME, headers=mechanic), 403)
    assert body["detail"] == "MANAGE:ADDRESSES scope required"
    assert_revcare_error(await client.get("/address/", headers=mechanic), 403)


async def test_bad_address_input_is_422_naming_each_field(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    bad = await client.post(
        "/address/",
        json={"line1": "", "city": "C" * 101, "state": "TN", "pincode": "12", "floor": 3},
        headers=headers,
    )
    body = assert_revcare_error(bad, 422)
    assert {item["loc"][-1] for item in body["detail"]} == {"line1", "city", "pincode", "floor"}
    assert_revcare_error(
        await client.put("/address/1", json={"pincode": "abc"}, headers=headers), 422
    )


async def test_admins_manage_areas_and_everyone_lists_active_ones(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    created = await client.post(
        "/address/area",
        json={"name": "T Nagar", "city": "Chennai", "pincode": "600017"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    area = created.json()
    assert area == {
        "id": area["id"],
        "name": "T Nagar",
        "city": "Chennai",
        "pincode": "600017",
        "is_active": True,
    }
    await make_area(runtime, pincode="560001", city="Bengaluru")
    assert [a["pincode"] for a in (await client.get("/address/area?city=chennai")).json()] == [
        "600017"
    ]
    paused = await client.put(
        f"/address/area/{area['id']}", json={"is_active": False}, headers=admin
    )
    assert paused.json()["is_active"] is False
    assert [a["pincode"] for a in (await client.get("/address/area")).json()] == ["560001"]
    assert len((await client.get("/address/area", headers=admin)).json()) == 2
    deleted = await client.delete(f"/address/area/{area['id']}", headers=admin)
    assert deleted.json() == {"message": "Service area deleted"}


async def test_a_pincode_belongs_to_one_area(client: httpx.AsyncClient, runtime: Runtime) -> None:
    existing = await make_area(runtime, pincode="600001")
    other = await make_area(runtime, pincode="600002")
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    again = {"name": "Dup", "city": "Chennai", "pincode": "600001"}
    assert_revcare_error(await client.post("/address/area", json=again, headers=admin), 409)
    assert_revcare_error(
        await client.put(f"/address/area/{other.id}", json={"pincode": "600001"}, headers=admin),
        409,
    )
    assert existing.id != other.id


async def test_area_writes_are_for_admins_only(client: httpx.AsyncClient, runtime: Runtime) -> None:
    area = await make_area(runtime)
    body = {"name": "X", "city": "Y", "pincode": "600099"}
    assert_revcare_error(await client.post("/address/area", json=body), 401)
    assert_revcare_error(await client.put(f"/address/area/{area.id}", json={}), 401)
    assert_revcare_error(await client.delete(f"/address/area/{area.id}"), 401)
    _, customer = await signed_in(runtime, client)
    assert_revcare_error(await client.post("/address/area", json=body, headers=customer), 403)
    assert_revcare_error(
        await client.put(f"/address/area/{area.id}", json={}, headers=customer), 403
    )
    assert_revcare_error(await client.delete(f"/address/area/{area.id}", headers=customer), 403)


async def test_unknown_areas_are_404_and_bad_area_input_422(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    assert_revcare_error(await client.put("/address/area/9999", json={}, headers=admin), 404)
    assert_revcare_error(await client.delete("/address/area/9999", headers=admin), 404)
    bad = await client.post("/address/area", json={"name": "", "pincode": "1"}, headers=admin)
    body = assert_revcare_error(bad, 422)
    assert {item["loc"][-1] for item in body["detail"]} == {"name", "city", "pincode"}


async def test_deleting_the_default_address_makes_the_newest_remaining_one_default(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    first = (await client.post("/address/", json=HOME, headers=headers)).json()
    second = (await client.post("/address/", json={**HOME, "label": "b"}, headers=headers)).json()
    third = (await client.post("/address/", json={**HOME, "label": "c"}, headers=headers)).json()
    await client.delete(f"/address/{first['id']}", headers=headers)
    listed = {
        a["id"]: a["is_default"] for a in (await client.get("/address/", headers=headers)).json()
    }
    assert listed == {second["id"]: False, third["id"]: True}


async def test_a_customer_keeps_at_most_twenty_addresses(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    for n in range(20):
        response = await client.post("/address/", json={**HOME, "label": f"a{n}"}, headers=headers)
        assert response.status_code == 201
    body = assert_revcare_error(await client.post("/address/", json=HOME, headers=headers), 400)
    assert "At most 20" in body["detail"]
