"""RevCare /services/ and /services/category: public reads, admin writes, prices in rupees."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.factories.service import make_category, make_service
from tests.surfaces.revcare.helpers import assert_revcare_error

SERVICE_FIELDS = {
    "id",
    "category_id",
    "name",
    "description",
    "price",
    "currency",
    "duration_minutes",
    "is_active",
    "average_rating",
    "review_count",
    "created_at",
    "updated_at",
}


async def test_an_admin_creates_updates_and_deletes_a_service_priced_in_rupees(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    category = await client.post(
        "/services/category", json={"name": "Periodic maintenance"}, headers=headers
    )
    assert category.status_code == 201, category.text
    assert category.json() == {
        "id": category.json()["id"],
        "name": "Periodic maintenance",
        "description": "",
        "is_active": True,
    }
    created = await client.post(
        "/services/",
        json={
            "category_id": category.json()["id"],
            "name": "Battery health check",
            "price": "1499.50",
            "duration_minutes": 45,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == SERVICE_FIELDS
    assert (body["price"], body["currency"], body["duration_minutes"]) == (1499.5, "INR", 45)
    assert (body["average_rating"], body["review_count"]) == (None, 0)

    updated = await client.put(
        f"/services/{body['id']}", json={"price": 1600, "is_active": False}, headers=headers
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["price"], updated.json()["is_active"]) == (1600, False)

    deleted = await client.delete(f"/services/{body['id']}", headers=headers)
    assert deleted.json() == {"message": "Service deleted"}
    assert_revcare_error(await client.get(f"/services/{body['id']}"), 404)


async def test_anyone_lists_active_services_filtered_by_category_and_search(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brakes = await make_category(runtime, name="Brakes")
    tyres = await make_category(runtime, name="Tyres")
    pads = await make_service(runtime, category_id=brakes.id, name="Brake pad replacement")
    await make_service(runtime, category_id=brakes.id, name="Brake fluid flush", is_active=False)
    await make_service(runtime, category_id=tyres.id, name="Wheel alignment")

    everything = await client.get("/services/")
    assert everything.status_code == 200
    assert [s["name"] for s in everything.json()] == ["Brake pad replacement", "Wheel alignment"]
    in_brakes = await client.get(f"/services/?category_id={brakes.id}")
    assert [s["id"] for s in in_brakes.json()] == [pads.id]
    searched = await client.get("/services/?search=ALIGN")
    assert [s["name"] for s in searched.json()] == ["Wheel alignment"]
    assert (await client.get("/services/?search=%25")).json() == []
    fetched = await client.get(f"/services/{pads.id}")
    assert fetched.json()["price"] == 1499


async def test_only_admins_see_inactive_services(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    hidden = await make_service(runtime, name="Retired job", is_active=False)
    _, customer = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    assert (await client.get("/services/?active=false", headers=customer)).json() == []
    listed = await client.get("/services/?active=false", headers=admin)
    assert [s["id"] for s in listed.json()] == [hidden.id]


async def test_a_bad_token_on_a_public_read_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/services/", headers={"Authorization": "Bearer nope"})
    assert_revcare_error(response, 401)


async def test_service_writes_refuse_anonymous_callers(client: httpx.AsyncClient) -> None:
    assert_revcare_error(await client.post("/services/", json={}), 401)
    assert_revcare_error(await client.put("/services/1", json={}), 401)
    assert_revcare_error(await client.delete("/services/1"), 401)
    assert_revcare_error(await client.post("/services/category", json={"name": "x"}), 401)
    assert_revcare_error(await client.put("/services/category/1", json={}), 401)
    assert_revcare_error(await client.delete("/services/category/1"), 401)


async def test_service_writes_refuse_customers_and_mechanics(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    service = await make_service(runtime)
    for role in (Role.USER, Role.MECHANIC):
        _, headers = await signed_in(runtime, client, role)
        body = assert_revcare_error(
            await client.put(f"/services/{service.id}", json={"name": "x"}, headers=headers), 403
        )
        assert body["detail"] == "WRITE:SERVICES scope required"
        assert_revcare_error(await client.delete(f"/services/{service.id}", headers=headers), 403)
        assert_revcare_error(
            await client.post("/services/category", json={"name": "x"}, headers=headers), 403
        )
        assert_revcare_error(
            await client.delete(f"/services/category/{service.category_id}", headers=headers), 403
        )


async def test_unknown_services_and_categories_are_404(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    assert_revcare_error(await client.get("/services/999999"), 404)
    assert_revcare_error(await client.put("/services/999999", json={}, headers=headers), 404)
    assert_revcare_error(await client.delete("/services/999999", headers=headers), 404)
    assert_revcare_error(await client.get("/services/category/999999"), 404)
    assert_revcare_error(
        await client.put("/services/category/999999", json={"name": "x"}, headers=headers), 404
    )
    assert_revcare_error(await client.delete("/services/category/999999", headers=headers), 404)


async def test_bad_service_input_is_422_naming_each_field(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    bad = await client.post(
        "/services/",
        json={
            "category_id": 0,
            "name": "",
            "price": "10.005",
            "currency": "rupees",
            "duration_minutes": 0,
            "colour": "red",
        },
        headers=headers,
    )
    body = assert_revcare_error(bad, 422)
    assert {item["loc"][-1] for item in body["detail"]} == {
        "category_id",
        "name",
        "price",
        "currency",
        "duration_minutes",
        "colour",
    }
    assert_revcare_error(await client.post("/services/", json={"price": -1}, headers=headers), 422)
    assert_revcare_error(await client.get("/services/?limit=1000"), 422)
    assert_revcare_error(await client.get("/services/abc"), 404)


async def test_a_service_in_an_unknown_category_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    response = await client.post(
        "/services/",
        json={"category_id": 424242, "name": "Ghost", "price": 1, "duration_minutes": 10},
        headers=headers,
    )
    assert "category" in assert_revcare_error(response, 400)["detail"]


async def test_category_names_are_unique_ignoring_case(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await make_category(runtime, name="Brakes")
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    response = await client.post("/services/category", json={"name": "BRAKES"}, headers=headers)
    assert_revcare_error(response, 409)


async def test_a_category_with_services_cannot_be_deleted_until_it_is_empty(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    service = await make_service(runtime)
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    path = f"/services/category/{service.category_id}"
    assert_revcare_error(await client.delete(path, headers=headers), 409)
    await client.delete(f"/services/{service.id}", headers=headers)
    assert (await client.delete(path, headers=headers)).status_code == 200
    assert_revcare_error(await client.get(path), 404)


async def test_categories_are_public_and_inactive_ones_are_for_admins(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    shown = await make_category(runtime, name="Detailing")
    created = await client.post(
        "/services/category", json={"name": "Archived", "is_active": False}, headers=headers
    )
    public = await client.get("/services/category?include_inactive=true")
    assert [c["id"] for c in public.json()] == [shown.id]
    renamed = await client.put(
        f"/services/category/{shown.id}", json={"description": "Shine"}, headers=headers
    )
    assert renamed.json()["description"] == "Shine"
    everything = await client.get("/services/category?include_inactive=true", headers=headers)
    assert {c["id"] for c in everything.json()} == {shown.id, created.json()["id"]}
