"""The demo workshop: catalogue, slots, areas, banner, mechanic profile, address; once."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from evcare.demo import (
    DEMO_PASSWORD,
    DEMO_SECOND_WORKSHOP,
    DEMO_SECOND_WORKSHOP_SERVICES,
    DEMO_SERVICES,
    load_demo,
)
from evcare.service.workshops import DEFAULT_WORKSHOP_NAME
from tests.surfaces.revcare.helpers import revcare_login


async def test_the_demo_workshop_is_served_publicly_and_loads_only_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    async with runtime.sessionmaker() as session:
        first = await load_demo(session, runtime.credentials)
        await session.commit()
    async with runtime.sessionmaker() as session:
        second = await load_demo(session, runtime.credentials)
        await session.commit()
    assert "service Battery health check" in first and "timeslot 03:30-05:30 UTC" in first
    assert second == []

    services = (await client.get("/services/?limit=100")).json()
    assert sorted(s["name"] for s in services) == sorted(name for _, name, _, _ in DEMO_SERVICES)
    assert {s["name"]: s["price"] for s in services}["Brake pad replacement"] == 2500.5
    assert len((await client.get("/utils/timeslot")).json()) == 4
    assert (await client.get("/content/home-banner")).status_code == 200

    token = await revcare_login(client, "customer@evcare.dev", DEMO_PASSWORD)
    (address,) = (
        await client.get("/address/", headers={"Authorization": f"Bearer {token}"})
    ).json()
    assert (address["pincode"], address["serviceable"]) == ("560034", True)
    token = await revcare_login(client, "mechanic@evcare.dev", DEMO_PASSWORD)
    (me,) = (await client.get("/mechanics/", headers={"Authorization": f"Bearer {token}"})).json()
    assert "EV battery" in me["skills"]


async def test_the_demo_has_two_workshops_each_with_its_own_services(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    async with runtime.sessionmaker() as session:
        await load_demo(session, runtime.credentials)
        await session.commit()
    token = await revcare_login(client, "customer@evcare.dev", DEMO_PASSWORD)

    listed = await client.get("/v1/workshops", headers={"Authorization": f"Bearer {token}"})

    assert listed.status_code == 200, listed.text
    services = {w["name"]: {s["name"] for s in w["services"]} for w in listed.json()["data"]}
    assert services == {
        DEFAULT_WORKSHOP_NAME: {name for _, name, _, _ in DEMO_SERVICES},
        DEMO_SECOND_WORKSHOP: {name for _, name, _, _ in DEMO_SECOND_WORKSHOP_SERVICES},
    }
    # RevCare's catalogue stays the default workshop's.
    revcare = (await client.get("/services/?limit=100")).json()
    assert {s["name"] for s in revcare} == services[DEFAULT_WORKSHOP_NAME]
