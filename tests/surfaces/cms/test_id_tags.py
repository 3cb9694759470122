"""EV-CMS charging cards: a driver's own (/api/v1/profile/id-tags), anyone's for admins
(/api/v1/admin/id-tags)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.factories.ocpp import iso
from tests.surfaces.cms.test_auth import assert_cms_error

OWN = "/api/v1/profile/id-tags"
ADMIN = "/api/v1/admin/id-tags"
CARD_FIELDS = {
    "id",
    "idTag",
    "label",
    "userId",
    "status",
    "expiryDate",
    "parentIdTag",
    "maxActiveSessions",
    "blockedAt",
    "createdAt",
}


def card_of(response: httpx.Response, status: int = 200) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True
    card: dict[str, object] = body["data"]["idTag"]
    assert set(card) == CARD_FIELDS
    return card


async def test_a_driver_adds_lists_and_blocks_their_own_card(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    driver, headers = await signed_in(runtime, client)
    card = card_of(
        await client.post(OWN, json={"idTag": "04A2B3C4D5", "label": "Blue card"}, headers=headers),
        201,
    )
    assert card | {"id": None, "createdAt": None} == {
        "id": None,
        "idTag": "04A2B3C4D5",
        "label": "Blue card",
        "userId": str(driver.id),
        "status": "active",
        "expiryDate": None,
        "parentIdTag": None,
        "maxActiveSessions": 1,
        "blockedAt": None,
        "createdAt": None,
    }
    listed = await client.get(OWN, headers=headers)
    assert listed.status_code == 200, listed.text
    assert [c["idTag"] for c in listed.json()["data"]["idTags"]] == ["04A2B3C4D5"]
    assert listed.json()["pagination"]["total"] == 1
    blocked = card_of(await client.put(f"{OWN}/{card['id']}/block", headers=headers))
    assert blocked["status"] == "blocked" and blocked["blockedAt"] is not None


async def test_a_card_registered_to_anyone_is_a_409(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, first = await signed_in(runtime, client)
    _, second = await signed_in(runtime, client)
    card_of(await client.post(OWN, json={"idTag": "CARD-1"}, headers=first), 201)
    assert_cms_error(await client.post(OWN, json={"idTag": "CARD-1"}, headers=second), 409)


async def test_someone_elses_card_is_a_404_and_stays_active(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, owner = await signed_in(runtime, client)
    _, other = await signed_in(runtime, client)
    card = card_of(await client.post(OWN, json={"idTag": "CARD-2"}, headers=owner), 201)
    body = assert_cms_error(await client.put(f"{OWN}/{card['id']}/block", headers=other), 404)
    assert body["message"] == f"Card {card['id']} not found"
    assert [
        c["status"] for c in (await client.get(OWN, headers=owner)).json()["data"]["idTags"]
    ] == ["active"]
    assert [c for c in (await client.get(OWN, headers=other)).json()["data"]["idTags"]] == []
    assert_cms_error(await client.put(f"{OWN}/99999999999999999999/block", headers=owner), 404)


async def test_card_routes_need_a_token(client: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", OWN),
        ("POST", OWN),
        ("PUT", f"{OWN}/1/block"),
        ("GET", ADMIN),
        ("POST", ADMIN),
        ("PUT", f"{ADMIN}/1"),
    ]:
        assert_cms_error(await client.request(method, path, json={}), 401)


async def test_admin_card_routes_are_refused_to_drivers_and_brands(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    for role in (Role.USER, Role.BRAND):
        _, headers = await signed_in(runtime, client, role)
        for method, path in [("GET", ADMIN), ("POST", ADMIN), ("PUT", f"{ADMIN}/1")]:
            body = assert_cms_error(
                await client.request(method, path, json={}, headers=headers), 403
            )
            assert body["message"] == "MANAGE:ID_TAGS scope required"


async def test_bad_cards_are_a_422_naming_the_field(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    driver, headers = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    for body in (
        {},
        {"idTag": ""},
        {"idTag": "x" * 21},
        {"idTag": "with space"},
        {"idTag": "OK", "unknown": 1},
    ):
        assert_cms_error(await client.post(OWN, json=body, headers=headers), 422)
    # The form of an app token (A<user>X<hex>) is reserved for remote starts.
    reserved = assert_cms_error(
        await client.post(OWN, json={"idTag": "A12X0123456789"}, headers=headers), 422
    )
    assert reserved["errors"] == [{"field": "idTag", "message": reserved["error"]}]
    for body in (
        {"userId": str(driver.id), "idTag": "T1", "maxActiveSessions": 0},
        {"userId": str(driver.id), "idTag": "T1", "expiryDate": "2030-01-01T00:00:00"},
        {"userId": "x", "idTag": "T1"},
    ):
        assert_cms_error(await client.post(ADMIN, json=body, headers=admin), 422)
    missing = assert_cms_error(
        await client.post(
            ADMIN,
            json={"userId": str(driver.id), "idTag": "T1", "parentIdTag": "NOPE"},
            headers=admin,
        ),
        422,
    )
    assert missing["errors"] == [{"field": "parentIdTag", "message": "no card NOPE"}]
    assert_cms_error(await client.put(f"{ADMIN}/1", json={"status": "lost"}, headers=admin), 422)
    assert_cms_error(await client.get(f"{ADMIN}?limit=101", headers=admin), 422)


async def test_an_admin_issues_expires_blocks_and_regroups_cards(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    driver, _ = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    group = card_of(
        await client.post(
            ADMIN,
            json={"userId": str(driver.id), "idTag": "FLEET-GROUP", "maxActiveSessions": None},
            headers=admin,
        ),
        201,
    )
    assert group["maxActiveSessions"] is None
    expiry = (utcnow() + timedelta(days=30)).replace(microsecond=0)
    card = card_of(
        await client.post(
            ADMIN,
            json={
                "userId": f"USR{driver.id:06d}",
                "idTag": "FLEET-1",
                "label": "Van 1",
                "expiryDate": iso(expiry),
                "parentIdTag": "FLEET-GROUP",
                "maxActiveSessions": 2,
            },
            headers=admin,
        ),
        201,
    )
    assert card["parentIdTag"] == "FLEET-GROUP" and card["maxActiveSessions"] == 2
    assert card["expiryDate"] is not None and card["status"] == "active"
    assert card["userId"] == str(driver.id)
    # A card cannot be its group's parent: no loops.
    looped = assert_cms_error(
        await client.put(f"{ADMIN}/{group['id']}", json={"parentIdTag": "FLEET-1"}, headers=admin),
        422,
    )
    assert looped["errors"][0]["field"] == "parentIdTag"  # type: ignore[index]
    expired = card_of(
        await client.put(
            f"{ADMIN}/{card['id']}",
            json={"expiryDate": iso(utcnow() - timedelta(minutes=1))},
            headers=admin,
        )
    )
    assert expired["status"] == "expired"
    blocked = card_of(
        await client.put(f"{ADMIN}/{card['id']}", json={"status": "blocked"}, headers=admin)
    )
    assert blocked["status"] == "blocked"
    cleared = card_of(
        await client.put(
            f"{ADMIN}/{card['id']}",
            json={"status": "active", "expiryDate": None, "parentIdTag": None, "label": "Van 1b"},
            headers=admin,
        )
    )
    assert (cleared["status"], cleared["expiryDate"], cleared["parentIdTag"], cleared["label"]) == (
        "active",
        None,
        None,
        "Van 1b",
    )
    assert cleared["blockedAt"] is None and cleared["maxActiveSessions"] == 2
    listed = await client.get(f"{ADMIN}?userId={driver.id}&search=van", headers=admin)
    assert [c["idTag"] for c in listed.json()["data"]["idTags"]] == ["FLEET-1"]
    listed = await client.get(f"{ADMIN}?status=blocked", headers=admin)
    assert listed.json()["data"]["idTags"] == []
    assert_cms_error(await client.put(f"{ADMIN}/2147483647", json={}, headers=admin), 404)
