"""RevCare /customers/: the current customer; admins may address any customer."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.surfaces.revcare.helpers import assert_revcare_error

CUSTOMER_FIELDS = {"id", "first_name", "last_name", "email", "phone", "status", "created_at"}


async def test_a_customer_reads_and_updates_their_own_profile(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    me = await client.get("/customers/", headers=headers)
    assert me.status_code == 200
    assert set(me.json()) == CUSTOMER_FIELDS
    assert me.json()["id"] == f"CST{user.id:06d}"
    updated = await client.put(
        f"/customers/{me.json()['id']}",
        json={"first_name": "Jon", "phone": "9123456789"},
        headers=headers,
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["first_name"], updated.json()["phone"]) == ("Jon", "9123456789")


async def test_a_customer_cannot_reach_another_customer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    other, _ = await signed_in(runtime, client)
    _, headers = await signed_in(runtime, client)
    other_id = f"CST{other.id:06d}"
    assert_revcare_error(
        await client.get(f"/customers/?customer_id={other_id}", headers=headers), 404
    )
    assert_revcare_error(
        await client.put(f"/customers/{other_id}", json={"first_name": "X"}, headers=headers), 404
    )
    assert_revcare_error(await client.delete(f"/customers/{other_id}", headers=headers), 404)


async def test_a_customer_may_not_set_a_password_through_the_profile(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    response = await client.put(
        f"/customers/CST{user.id:06d}", json={"password": "NewPass#123"}, headers=headers
    )
    assert_revcare_error(response, 403)


async def test_an_admin_reads_updates_and_deletes_any_customer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    customer, customer_headers = await signed_in(runtime, client)
    _, admin_headers = await signed_in(runtime, client, Role.ADMIN)
    customer_id = f"CST{customer.id:06d}"
    fetched = await client.get(f"/customers/?customer_id={customer_id}", headers=admin_headers)
    assert fetched.json()["email"] == customer.email
    await client.put(f"/customers/{customer_id}", json={"last_name": "M"}, headers=admin_headers)
    deleted = await client.delete(f"/customers/{customer_id}", headers=admin_headers)
    assert deleted.status_code == 200
    # The deleted customer's tokens stop working at once.
    assert_revcare_error(await client.get("/customers/", headers=customer_headers), 401)


async def test_a_customer_deleting_their_account_ends_their_sign_in(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    assert (await client.delete(f"/customers/CST{user.id:06d}", headers=headers)).status_code == 200
    assert_revcare_error(await client.get("/customers/", headers=headers), 401)


async def test_a_mechanic_is_not_a_customer(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await signed_in(runtime, client, Role.MECHANIC)
    assert_revcare_error(await client.get("/customers/", headers=headers), 404)


async def test_customer_routes_refuse_anonymous_and_bad_input(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    assert_revcare_error(await client.get("/customers/"), 401)
    assert_revcare_error(await client.put("/customers/CST000001", json={}), 401)
    assert_revcare_error(await client.delete("/customers/CST000001"), 401)
    user, headers = await signed_in(runtime, client)
    bad = await client.put(
        f"/customers/CST{user.id:06d}", json={"email": "x", "phone": "12"}, headers=headers
    )
    body = assert_revcare_error(bad, 422)
    assert {item["loc"][-1] for item in body["detail"]} == {"email", "phone"}
