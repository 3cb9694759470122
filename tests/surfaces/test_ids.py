"""Every id of every route is one of the shared id types (``evcare.surfaces.ids``), so a
malformed or out-of-range id is a 404 (path) or a 422 (query, body) and never reaches
the database; and the cases of issue 9 answer so on both databases."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from evcare.core.ids import MAX_KEY, parse_key, parse_public_key
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.surfaces.routes import id_parameters, routes

# Body fields named like ids that are no row's key, and why.
NOT_KEYS = {
    "connectorId": "a connector's number on its charger (1..100), bounded by its schema",
    "connector_id": "a connector's number on its charger (1..100), bounded by its schema",
}


def test_every_id_parameter_of_every_route_is_a_shared_id_type(app: FastAPI) -> None:
    everything = routes(app)
    assert len(everything) > 100  # the walk reaches the mounted surfaces
    loose = [
        f"{route.method} {route.path}: {parameter.where} {parameter.name}"
        for route in everything
        for parameter in id_parameters(route.route)
        if parameter.kind is None and parameter.name not in NOT_KEYS
    ]
    assert loose == []


@pytest.mark.parametrize(
    "text", ["²", "\u0661", "1²", " 1", "1 ", "+1", "-1", "1_0", "1.0", "0", "", "2147483648"]
)
def test_a_key_is_ascii_digits_within_integer(text: str) -> None:
    assert parse_key(text) is None


def test_keys_and_public_ids_parse_to_the_same_key() -> None:
    assert parse_key("000012") == parse_key(12) == parse_public_key("ADM", "ADM000012") == 12
    assert parse_public_key("ADM", "adm12") == 12
    assert parse_key(str(MAX_KEY)) == MAX_KEY
    assert parse_key(True) is None
    assert parse_public_key("ADM", "CST000012") is None
    assert parse_public_key("ADM", "ADM²") is None
    assert parse_public_key("ADM", "ÀDM000012") is None


# (path, what the 404 says): the routes issue 9 names, on whichever database runs.
PATH_CASES = [
    ("/services/99999999999999999999", "Service 99999999999999999999 not found"),
    ("/services/2147483648", "Service 2147483648 not found"),
    ("/services/category/2147483648", "Service category 2147483648 not found"),
    ("/api/v1/stations/%C2%B2", "Station ² not found"),
    ("/api/v1/stations/%D9%A1", "Station \u0661 not found"),
    ("/api/v1/stations/2147483648", "Station 2147483648 not found"),
    ("/api/v1/sessions/%C2%B24", "Session ²4 not found"),
    ("/api/v1/sessions/SES99999999999999999999", "Session SES99999999999999999999 not found"),
    ("/api/v1/chargers/2147483648", "Charger 2147483648 not found"),
    ("/admins/%C2%B2", "Admin ² not found"),
    ("/admins/ADM2147483648", "Admin ADM2147483648 not found"),
    ("/bookings/2147483648", "Booking 2147483648 not found"),
    ("/address/99999999999999999999", "Address 99999999999999999999 not found"),
    ("/car/models/2147483648", "Vehicle model 2147483648 not found"),
]


def _message(body: dict[str, object]) -> object:
    return body.get("message") if "success" in body else body.get("detail")


@pytest.mark.parametrize(("path", "message"), PATH_CASES)
async def test_a_path_id_that_is_no_key_is_404_in_the_surfaces_shape(
    client: httpx.AsyncClient, runtime: Runtime, path: str, message: str
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    response = await client.get(path, headers=headers)
    assert response.status_code == 404, response.text
    assert _message(response.json()) == message


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/customers/?customer_id=%C2%B2", "customer_id"),
        ("/bookings/customer?customer_id=CST99999999999", "customer_id"),
        ("/bookings/admin/dashboard?mechanic_id=2147483648", "mechanic_id"),
        ("/services/?category_id=99999999999999999999", "category_id"),
        ("/car/models?manufacturer_id=%D9%A1", "manufacturer_id"),
        ("/api/v1/chargers?station=2147483648", "station"),
    ],
)
async def test_a_query_id_that_is_no_key_is_422_naming_the_field(
    client: httpx.AsyncClient, runtime: Runtime, path: str, field: str
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    response = await client.get(path, headers=headers)
    assert response.status_code == 422, response.text
    assert field in response.text


@pytest.mark.parametrize("value", ["²", 2147483648, "99999999999999999999", -1, 1.5, True])
async def test_a_body_id_that_is_no_key_is_422_naming_the_field(
    client: httpx.AsyncClient, runtime: Runtime, value: object
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    response = await client.post(
        "/services/", json={"name": "Wash", "price": 100, "category_id": value}, headers=headers
    )
    assert response.status_code == 422, response.text
    fields = [item["loc"][-1] for item in response.json()["detail"]]
    assert "category_id" in fields
