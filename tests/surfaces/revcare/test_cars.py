"""RevCare /car/: the customer's own cars (shared with EV-CMS) and the reference data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.identity.scopes import Scope
from tests.factories.identity import bearer, login, make_user, signed_in
from tests.factories.vehicles import Catalogue, make_catalogue, make_vehicle, narrowed
from tests.surfaces.revcare.helpers import assert_revcare_error

CAR_FIELDS = {
    "id",
    "vehicle_model_id",
    "make",
    "model",
    "year",
    "registration_number",
    "fuel_type_id",
    "fuel_type",
    "vehicle_class_id",
    "vehicle_class",
    "battery_capacity_kwh",
    "vin",
    "color",
    "is_default",
    "created_at",
    "updated_at",
}
MODEL_FIELDS = {
    "id",
    "name",
    "manufacturer_id",
    "manufacturer",
    "vehicle_class_id",
    "vehicle_class",
    "fuel_type_id",
    "fuel_type",
    "battery_capacity_kwh",
}
CAR_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/car/", None),
    (
        "POST",
        "/car/",
        {"make": "Kia", "model": "EV6", "year": 2023, "registration_number": "TN01AA1"},
    ),
    ("GET", "/car/{id}", None),
    ("PUT", "/car/{id}", {"color": "Red"}),
    ("PATCH", "/car/{id}/set-default", None),
    ("DELETE", "/car/{id}", None),
]
REFERENCE_PATHS = ["models", "class", "fuel", "manufacturer"]


def reference_id(catalogue: Catalogue, path: str) -> int:
    return {
        "models": catalogue.petrol_model.id,
        "class": catalogue.suv.id,
        "fuel": catalogue.petrol.id,
        "manufacturer": catalogue.maker.id,
    }[path]


def new_reference(catalogue: Catalogue, path: str) -> dict[str, Any]:
    return {
        "models": {
            "name": "Thar ROXX",
            "manufacturer_id": catalogue.maker.id,
            "fuel_type_id": catalogue.petrol.id,
        },
        "class": {"name": "Pickup"},
        "fuel": {"name": "Hydrogen"},
        "manufacturer": {"name": "Ultraviolette", "country": "India"},
    }[path]


async def test_a_customer_adds_a_car_from_a_reference_model_and_reads_it_back(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    catalogue = await make_catalogue(runtime)
    _, headers = await signed_in(runtime, client)
    response = await client.post(
        "/car/",
        json={
            "vehicle_model_id": catalogue.ev_model.id,
            "year": 2024,
            "registration_number": "ka-05-mn-4321",
            "vin": "mallc81cbpm123456",
            "color": "Infinity Blue",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    car = response.json()
    assert set(car) == CAR_FIELDS
    assert isinstance(car["id"], int)
    assert (car["make"], car["model"]) == (catalogue.maker.name, "XUV400")
    assert car["vehicle_model_id"] == catalogue.ev_model.id
    assert (car["fuel_type_id"], car["fuel_type"]) == (
        catalogue.electric.id,
        catalogue.electric.name,
    )
    assert (car["vehicle_class_id"], car["vehicle_class"]) == (catalogue.suv.id, catalogue.suv.name)
    assert car["battery_capacity_kwh"] == 39.4
    assert car["registration_number"] == "KA05MN4321"
    assert car["vin"] == "MALLC81CBPM123456"
    assert car["is_default"] is True
    got = await client.get(f"/car/{car['id']}", headers=headers)
    assert got.status_code == 200 and got.json() == car
    listed = await client.get("/car/", headers=headers)
    assert listed.status_code == 200 and listed.json() == [car]


async def test_a_petrol_car_without_a_battery_is_accepted(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    catalogue = await make_catalogue(runtime)
    _, headers = await signed_in(runtime, client)
    response = await client.post(
        "/car/",
        json={
            "vehicle_model_id": catalogue.petrol_model.id,
            "year": 2022,
            "registration_number": "DL8CAF5030",
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["battery_capacity_kwh"] is None
    assert response.json()["fuel_type"] == catalogue.petrol.name


async def test_updating_a_car_and_choosing_the_default(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    catalogue = await make_catalogue(runtime)
    owner, headers = await signed_in(runtime, client)
    first = await make_vehicle(runtime, owner)
    second = await make_vehicle(runtime, owner)
    updated = await client.put(
        f"/car/{second.id}",
        json={"vehicle_model_id": catalogue.ev_model.id, "color": "White", "year": 2025},
        headers=headers,
    )
    assert updated.status_code == 200, updated.text
    car = updated.json()
    assert set(car) == CAR_FIELDS
    assert (car["model"], car["color"], car["year"]) == ("XUV400", "White", 2025)
    assert car["battery_capacity_kwh"] == 39.4 and car["is_default"] is False
    chosen = await client.patch(f"/car/{second.id}/set-default", headers=headers)
    assert chosen.status_code == 200 and chosen.json()["is_default"] is True
    listed = (await client.get("/car/", headers=headers)).json()
    assert [(c["id"], c["is_default"]) for c in listed] == [(second.id, True), (first.id, False)]
    deleted = await client.delete(f"/car/{second.id}", headers=headers)
    assert deleted.status_code == 200 and deleted.json() == {"message": "Car deleted"}
    listed = (await client.get("/car/", headers=headers)).json()
    assert [(c["id"], c["is_default"]) for c in listed] == [(first.id, True)]


async def test_a_car_added_in_revcare_is_a_vehicle_in_ev_cms_and_back(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await make_user(runtime)
    headers = bearer(await login(client, user))
    car = await client.post(
        "/car/",
        json={
            "make": "MG",
            "model": "Comet EV",
            "year": 2024,
            "battery_capacity_kwh": 17.3,
            "registration_number": "GJ01AB1111",
        },
        headers=headers,
    )
    assert car.status_code == 201, car.text
    cms = await client.get("/api/v1/profile/vehicles", headers=headers)
    [vehicle] = cms.json()["data"]["vehicles"]
    created_at = vehicle.pop("createdAt")
    assert vehicle == {
        "id": str(car.json()["id"]),
        "make": "MG",
        "model": "Comet EV",
        "year": 2024,
        "batteryCapacity": 17.3,
        "registrationNumber": "GJ01AB1111",
        "isDefault": True,
    }
    assert datetime.fromisoformat(created_at) == datetime.fromisoformat(car.json()["created_at"])
    added = await client.post(
        "/api/v1/profile/vehicles",
        json={
            "make": "BYD",
            "model": "Atto 3",
            "year": 2023,
            "batteryCapacity": 60.48,
            "registrationNumber": "GJ01AB2222",
        },
        headers=headers,
    )
    assert added.status_code == 201, added.text
    cars = (await client.get("/car/", headers=headers)).json()
    assert {c["registration_number"]: c["is_default"] for c in cars} == {
        "GJ01AB1111": True,
        "GJ01AB2222": False,
    }
    await client.patch(
        f"/api/v1/profile/vehicles/{added.json()['data']['vehicle']['id']}/set-default",
        headers=headers,
    )
    assert (await client.get(f"/car/{car.json()['id']}", headers=headers)).json()[
        "is_default"
    ] is False


@pytest.mark.parametrize(("method", "path", "body"), CAR_ROUTES)
async def test_every_car_route_refuses_anonymous_callers(
    client: httpx.AsyncClient, runtime: Runtime, method: str, path: str, body: dict[str, Any] | None
) -> None:
    vehicle = await make_vehicle(runtime, await make_user(runtime))
    response = await client.request(method, path.format(id=vehicle.id), json=body)
    assert_revcare_error(response, 401)


@pytest.mark.parametrize(("method", "path", "body"), CAR_ROUTES)
async def test_every_car_route_needs_its_vehicle_scope(
    client: httpx.AsyncClient, runtime: Runtime, method: str, path: str, body: dict[str, Any] | None
) -> None:
    owner = await make_user(runtime)
    vehicle = await make_vehicle(runtime, owner)
    needed = Scope.READ_VEHICLES if method == "GET" else Scope.WRITE_VEHICLES
    headers = narrowed(runtime, await login(client, owner), without=needed)
    response = await client.request(method, path.format(id=vehicle.id), json=body, headers=headers)
    assert needed in str(assert_revcare_error(response, 403)["detail"])


@pytest.mark.parametrize(("method", "path", "body"), [r for r in CAR_ROUTES if "{id}" in r[1]])
async def test_another_customers_car_is_not_found_on_every_route(
    client: httpx.AsyncClient, runtime: Runtime, method: str, path: str, body: dict[str, Any] | None
) -> None:
    vehicle = await make_vehicle(runtime, await make_user(runtime))
    _, headers = await signed_in(runtime, client)
    response = await client.request(method, path.format(id=vehicle.id), json=body, headers=headers)
    assert_revcare_error(response, 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"make": "Kia", "model": "EV6", "registration_number": "TN01AA1234"}, "year"),
        (
            {"make": "Kia", "model": "EV6", "year": 2023, "registration_number": "T1"},
            "registration_number",
        ),
        (
            {
                "make": "Kia",
                "model": "EV6",
                "year": 2023,
                "registration_number": "TN01AA1234",
                "battery_capacity_kwh": 900,
            },
            "battery_capacity_kwh",
        ),
        (
            {
                "make": "Kia",
                "model": "EV6",
                "year": 2023,
                "registration_number": "TN01AA1234",
                "vin": "IOQ",
            },
            "vin",
        ),
        (
            {
                "make": "Kia",
                "model": "EV6",
                "year": 2023,
                "registration_number": "TN01AA1234",
                "owner_id": 1,
            },
            "owner_id",
        ),
    ],
)
async def test_bad_car_input_is_422_naming_the_field(
    client: httpx.AsyncClient, runtime: Runtime, body: dict[str, Any], field: str
) -> None:
    _, headers = await signed_in(runtime, client)
    detail = assert_revcare_error(await client.post("/car/", json=body, headers=headers), 422)[
        "detail"
    ]
    assert [error["loc"][-1] for error in detail] == [field]


async def test_a_car_without_make_or_a_reference_model_is_422(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    response = await client.post(
        "/car/", json={"year": 2023, "registration_number": "TN01AA1234"}, headers=headers
    )
    body = assert_revcare_error(response, 422)
    assert "make" in str(body["detail"]) and "model" in str(body["detail"])


async def test_an_unknown_reference_model_is_422_and_a_bad_car_id_is_404(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    response = await client.post(
        "/car/",
        json={"vehicle_model_id": 424242, "year": 2023, "registration_number": "TN01AA1234"},
        headers=headers,
    )
    assert "vehicle_model_id" in str(assert_revcare_error(response, 422)["detail"])
    assert_revcare_error(await client.get("/car/abc", headers=headers), 404)


# Reference data


async def test_reference_lists_are_readable_by_any_signed_in_user(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    catalogue = await make_catalogue(runtime)
    _, headers = await signed_in(runtime, client, Role.MECHANIC)
    models = await client.get("/car/models", headers=headers)
    assert models.status_code == 200
    assert all(set(m) == MODEL_FIELDS for m in models.json())
    xuv = next(m for m in models.json() if m["id"] == catalogue.ev_model.id)
    assert xuv == {
        "id": catalogue.ev_model.id,
        "name": "XUV400",
        "manufacturer_id": catalogue.maker.id,
        "manufacturer": catalogue.maker.name,
        "vehicle_class_id": catalogue.suv.id,
        "vehicle_class": catalogue.suv.name,
        "fuel_type_id": catalogue.electric.id,
        "fuel_type": catalogue.electric.name,
        "battery_capacity_kwh": 39.4,
    }
    fuels = (await client.get("/car/fuel", headers=headers)).json()
    assert {"id": catalogue.electric.id, "name": catalogue.electric.name} in fuels
    classes = (await client.get("/car/class", headers=headers)).json()
    assert classes == [{"id": catalogue.suv.id, "name": catalogue.suv.name}]
    makers = (await client.get("/car/manufacturer", headers=headers)).json()
    assert makers == [{"id": catalogue.maker.id, "name": catalogue.maker.name, "country": "India"}]
    one = await client.get(f"/car/manufacturer/{catalogue.maker.id}", headers=headers)
    assert one.json() == makers[0]


async def test_models_filter_by_manufacturer_and_fuel(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    catalogue = await make_catalogue(runtime)
    other = await make_catalogue(runtime)
    _, headers = await signed_in(runtime, client)
    by_maker = await client.get(
        "/car/models", params={"manufacturer_id": catalogue.maker.id}, headers=headers
    )
    assert {m["id"] for m in by_maker.json()} == {catalogue.ev_model.id, catalogue.petrol_model.id}
    by_fuel = await client.get(
        "/car/models", params={"fuel_id": other.electric.id}, headers=headers
    )
    assert [m["id"] for m in by_fuel.json()] == [other.ev_model.id]
    both = await client.get(
        "/car/models",
        params={"manufacturer_id": catalogue.maker.id, "fuel_id": other.electric.id},
        headers=headers,
    )
    assert both.json() == []
    assert_revcare_error(
        await client.get("/car/models", params={"fuel_id": 0}, headers=headers), 422
    )


@pytest.mark.parametrize("path", REFERENCE_PATHS)
async def test_an_admin_creates_updates_and_deletes_reference_rows(
    client: httpx.AsyncClient, runtime: Runtime, path: str
) -> None:
    catalogue = await make_catalogue(runtime)
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    created = await client.post(
        f"/car/{path}", json=new_reference(catalogue, path), headers=headers
    )
    assert created.status_code == 201, created.text
    row = created.json()
    duplicate = await client.post(
        f"/car/{path}", json=new_reference(catalogue, path), headers=headers
    )
    assert_revcare_error(duplicate, 409)
    renamed = await client.put(
        f"/car/{path}/{row['id']}", json={"name": "Renamed"}, headers=headers
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {**row, "name": "Renamed"}
    deleted = await client.delete(f"/car/{path}/{row['id']}", headers=headers)
    assert deleted.status_code == 200 and "deleted" in deleted.json()["message"]
    assert_revcare_error(await client.get(f"/car/{path}/{row['id']}", headers=headers), 404)


@pytest.mark.parametrize("path", REFERENCE_PATHS)
async def test_a_reference_row_in_use_cannot_be_deleted(
    client: httpx.AsyncClient, runtime: Runtime, path: str
) -> None:
    catalogue = await make_catalogue(runtime)
    await make_vehicle(
        runtime, await make_user(runtime), vehicle_model_id=catalogue.petrol_model.id
    )
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    response = await client.delete(f"/car/{path}/{reference_id(catalogue, path)}", headers=headers)
    assert "in use" in str(assert_revcare_error(response, 409)["detail"])


@pytest.mark.parametrize("path", REFERENCE_PATHS)
async def test_reference_routes_refuse_anonymous_and_non_admin_writers(
    client: httpx.AsyncClient, runtime: Runtime, path: str
) -> None:
    catalogue = await make_catalogue(runtime)
    key = reference_id(catalogue, path)
    body = new_reference(catalogue, path)
    for method, url, payload in (
        ("GET", f"/car/{path}", None),
        ("GET", f"/car/{path}/{key}", None),
        ("POST", f"/car/{path}", body),
        ("PUT", f"/car/{path}/{key}", {"name": "X"}),
        ("DELETE", f"/car/{path}/{key}", None),
    ):
        assert_revcare_error(await client.request(method, url, json=payload), 401)
    for role in (Role.USER, Role.MECHANIC, Role.BRAND):
        _, headers = await signed_in(runtime, client, role)
        for method, url, payload in (
            ("POST", f"/car/{path}", body),
            ("PUT", f"/car/{path}/{key}", {"name": "X"}),
            ("DELETE", f"/car/{path}/{key}", None),
        ):
            response = await client.request(method, url, json=payload, headers=headers)
            assert Scope.WRITE_VEHICLE_REFERENCE in str(
                assert_revcare_error(response, 403)["detail"]
            )


@pytest.mark.parametrize("path", REFERENCE_PATHS)
async def test_reference_rows_of_unknown_ids_are_404_and_bad_input_is_422(
    client: httpx.AsyncClient, runtime: Runtime, path: str
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    assert_revcare_error(await client.get(f"/car/{path}/987654", headers=headers), 404)
    assert_revcare_error(
        await client.put(f"/car/{path}/987654", json={"name": "X"}, headers=headers), 404
    )
    assert_revcare_error(await client.delete(f"/car/{path}/987654", headers=headers), 404)
    assert_revcare_error(await client.get(f"/car/{path}/0", headers=headers), 404)
    response = await client.post(f"/car/{path}", json={"name": "x" * 81}, headers=headers)
    assert "name" in [error["loc"][-1] for error in assert_revcare_error(response, 422)["detail"]]


async def test_a_model_pointing_at_unknown_reference_rows_is_422_naming_them(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    catalogue = await make_catalogue(runtime)
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    response = await client.post(
        "/car/models",
        json={
            "name": "Ghost",
            "manufacturer_id": 777777,
            "fuel_type_id": catalogue.petrol.id,
            "vehicle_class_id": 888888,
        },
        headers=headers,
    )
    detail = str(assert_revcare_error(response, 422)["detail"])
    assert "manufacturer_id" in detail and "vehicle_class_id" in detail
