"""RevCare cart and favourites: idempotent adds, own lists only, customers only."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.factories.service import make_service
from tests.surfaces.revcare.helpers import assert_revcare_error

LISTS = [("cart", "cart"), ("favourite", "favourites")]


@pytest.mark.parametrize(("path", "noun"), LISTS)
async def test_adding_a_service_twice_keeps_one_entry_and_removing_empties_the_list(
    client: httpx.AsyncClient, runtime: Runtime, path: str, noun: str
) -> None:
    first = await make_service(runtime, name="Wheel balancing", price_minor=59_950)
    second = await make_service(runtime, name="AC gas refill")
    _, headers = await signed_in(runtime, client)
    added = await client.post(f"/customers/{path}/{first.id}", headers=headers)
    assert added.status_code == 200, added.text
    assert added.json()["message"].startswith("Service added")
    assert (await client.post(f"/customers/{path}/{first.id}", headers=headers)).status_code == 200
    await client.post(f"/customers/{path}/{second.id}", headers=headers)

    listed = await client.get(f"/customers/{path}", headers=headers)
    assert [(s["id"], s["price"]) for s in listed.json()] == [(first.id, 599.5), (second.id, 1499)]

    removed = await client.delete(f"/customers/{path}/{first.id}", headers=headers)
    assert removed.json()["message"] == f"Service removed from {noun}"
    again = await client.delete(f"/customers/{path}/{first.id}", headers=headers)
    assert noun in assert_revcare_error(again, 404)["detail"]
    assert [s["id"] for s in (await client.get(f"/customers/{path}", headers=headers)).json()] == [
        second.id
    ]


@pytest.mark.parametrize(("path", "noun"), LISTS)
async def test_a_customer_sees_only_their_own_list(
    client: httpx.AsyncClient, runtime: Runtime, path: str, noun: str
) -> None:
    service = await make_service(runtime)
    _, owner = await signed_in(runtime, client)
    _, other = await signed_in(runtime, client)
    await client.post(f"/customers/{path}/{service.id}", headers=owner)
    assert (await client.get(f"/customers/{path}", headers=other)).json() == []
    # Removing from someone else's list finds nothing of one's own: 404, theirs untouched.
    assert_revcare_error(await client.delete(f"/customers/{path}/{service.id}", headers=other), 404)
    assert len((await client.get(f"/customers/{path}", headers=owner)).json()) == 1


@pytest.mark.parametrize(("path", "noun"), LISTS)
async def test_unknown_or_inactive_services_cannot_be_added(
    client: httpx.AsyncClient, runtime: Runtime, path: str, noun: str
) -> None:
    retired = await make_service(runtime, is_active=False)
    _, headers = await signed_in(runtime, client)
    assert_revcare_error(await client.post(f"/customers/{path}/999999", headers=headers), 404)
    assert_revcare_error(await client.post(f"/customers/{path}/{retired.id}", headers=headers), 400)
    assert_revcare_error(await client.post(f"/customers/{path}/abc", headers=headers), 404)
    assert_revcare_error(await client.delete(f"/customers/{path}/abc", headers=headers), 404)


@pytest.mark.parametrize(("path", "noun"), LISTS)
async def test_lists_refuse_anonymous_callers_and_mechanics(
    client: httpx.AsyncClient, runtime: Runtime, path: str, noun: str
) -> None:
    service = await make_service(runtime)
    assert_revcare_error(await client.get(f"/customers/{path}"), 401)
    assert_revcare_error(await client.post(f"/customers/{path}/{service.id}"), 401)
    assert_revcare_error(await client.delete(f"/customers/{path}/{service.id}"), 401)
    _, mechanic = await signed_in(runtime, client, Role.MECHANIC)
    body = assert_revcare_error(await client.get(f"/customers/{path}", headers=mechanic), 403)
    assert body["detail"] == "SHOP:SERVICES scope required"
    assert_revcare_error(
        await client.post(f"/customers/{path}/{service.id}", headers=mechanic), 403
    )
    assert_revcare_error(
        await client.delete(f"/customers/{path}/{service.id}", headers=mechanic), 403
    )


async def test_deleting_a_service_takes_it_out_of_carts(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    service = await make_service(runtime)
    _, customer = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    await client.post(f"/customers/cart/{service.id}", headers=customer)
    await client.post(f"/customers/favourite/{service.id}", headers=customer)
    assert (await client.delete(f"/services/{service.id}", headers=admin)).status_code == 200
    assert (await client.get("/customers/cart", headers=customer)).json() == []
    assert (await client.get("/customers/favourite", headers=customer)).json() == []


async def test_simultaneous_adds_of_the_same_service_all_succeed_with_one_entry(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    service = await make_service(runtime)
    _, headers = await signed_in(runtime, client)
    responses = await asyncio.gather(
        *(client.post(f"/customers/cart/{service.id}", headers=headers) for _ in range(6))
    )
    assert [r.status_code for r in responses] == [200] * 6
    assert len((await client.get("/customers/cart", headers=headers)).json()) == 1
