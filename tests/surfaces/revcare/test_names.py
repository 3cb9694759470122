"""Unique names are unique for people: NFKC + casefold + collapsed spaces, on every
table whose name is unique, the same on SQLite (whose ``lower()`` is ASCII-only) and
PostgreSQL; the display name stays as typed."""

from __future__ import annotations

import httpx
import pytest

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.factories.service import make_category, make_service
from tests.factories.vehicles import make_catalogue
from tests.surfaces.revcare.helpers import assert_revcare_error
from tests.surfaces.revcare.test_cars import new_reference

# (first, second): the second is the same name to a person, a different string to Python.
SAME_NAME = [
    ("Électrique", "Électrique"),
    ("ÉLAN", "élan"),
    ("Électrique", "E\u0301lectrique"),  # composed vs. decomposed accent
    ("Straße", "STRASSE"),  # casefold, not lower()
    ("Battery care", "\uff22\uff41\uff54\uff54\uff45\uff52\uff59\u3000care"),  # full-width
    ("Battery care", "  battery   CARE "),
]


@pytest.mark.parametrize(("first", "second"), SAME_NAME)
async def test_a_category_name_that_reads_the_same_is_taken_409_not_500(
    client: httpx.AsyncClient, runtime: Runtime, first: str, second: str
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    created = await client.post("/services/category", json={"name": first}, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["name"] == first
    again = await client.post("/services/category", json={"name": second}, headers=admin)
    assert "already exists" in assert_revcare_error(again, 409)["detail"]
    other = await make_category(runtime, name="Tyres")
    renamed = await client.put(
        f"/services/category/{other.id}", json={"name": second}, headers=admin
    )
    assert_revcare_error(renamed, 409)
    listed = (await client.get("/services/category")).json()
    assert sorted(c["name"] for c in listed) == sorted([first, "Tyres"])


async def test_a_category_may_be_renamed_to_another_spelling_of_its_own_name(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    category = await make_category(runtime, name="élan")
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    renamed = await client.put(
        f"/services/category/{category.id}", json={"name": "ÉLAN"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "ÉLAN"


async def test_a_name_that_is_only_spaces_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    blank = await client.post("/services/category", json={"name": "\u3000 \t"}, headers=admin)
    assert_revcare_error(blank, 422)


@pytest.mark.parametrize(("first", "second"), SAME_NAME[:4])
async def test_an_assignment_type_name_that_reads_the_same_is_taken(
    client: httpx.AsyncClient, runtime: Runtime, first: str, second: str
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    path = "/mechanics/assignment_type"
    created = await client.post(path, json={"name": first}, headers=admin)
    assert created.status_code == 201, created.text
    assert_revcare_error(await client.post(path, json={"name": second}, headers=admin), 409)


@pytest.mark.parametrize("path", ["models", "class", "fuel", "manufacturer"])
async def test_a_vehicle_reference_name_that_reads_the_same_is_taken(
    client: httpx.AsyncClient, runtime: Runtime, path: str
) -> None:
    catalogue = await make_catalogue(runtime)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    body = {**new_reference(catalogue, path), "name": "Électrique ÉLAN"}
    created = await client.post(f"/car/{path}", json=body, headers=admin)
    assert created.status_code == 201, created.text
    again = {**body, "name": "e\u0301lectrique   élan"}
    assert_revcare_error(await client.post(f"/car/{path}", json=again, headers=admin), 409)


async def test_a_model_name_is_unique_per_manufacturer_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    catalogue = await make_catalogue(runtime)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    maker = await client.post("/car/manufacturer", json={"name": "Škoda"}, headers=admin)
    body = {**new_reference(catalogue, "models"), "name": "Élan"}
    assert (await client.post("/car/models", json=body, headers=admin)).status_code == 201
    elsewhere = {**body, "name": "ÉLAN", "manufacturer_id": maker.json()["id"]}
    assert (await client.post("/car/models", json=elsewhere, headers=admin)).status_code == 201


async def test_service_search_compares_names_the_same_way(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await make_service(runtime, name="ÉLECTRIQUE Battery check")
    await make_service(runtime, name="Wheel alignment")
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    described = await client.post(
        "/services/",
        json={
            "category_id": (await make_category(runtime)).id,
            "name": "Brakes",
            "description": "Pads for the Straße",
            "price": 10,
            "duration_minutes": 30,
        },
        headers=admin,
    )
    assert described.status_code == 201, described.text
    for search, found in [
        ("électrique", ["ÉLECTRIQUE Battery check"]),
        ("E\u0301LECTRIQUE  battery", ["ÉLECTRIQUE Battery check"]),
        ("strasse", ["Brakes"]),
        ("ALIGN", ["Wheel alignment"]),
        ("check brakes", []),  # never across the name and the description
        ("%", []),
    ]:
        page = await client.get("/services/", params={"search": search})
        assert [s["name"] for s in page.json()] == found, search
