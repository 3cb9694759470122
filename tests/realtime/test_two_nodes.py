"""Two EVCare processes behind one Redis: events and charger commands cross between them.

Needs a Redis server: ``EVCARE_TEST_REDIS_URL`` (CI sets redis://127.0.0.1:6379/15).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import httpx
import pytest
from ocpp.v16 import call
from redis.asyncio import Redis

from evcare.identity.models import Role
from tests.factories.cluster import Cluster, cluster
from tests.factories.identity import PASSWORD, bearer, make_user
from tests.factories.ocpp import connect, make_charger, make_driver, make_id_tag
from tests.factories.realtime import connected
from tests.realtime.test_session_events import start_session

REDIS_URL = os.environ.get("EVCARE_TEST_REDIS_URL", "").strip()

pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="EVCARE_TEST_REDIS_URL is not set: no Redis to join two nodes"
)


@pytest.fixture(scope="module")
async def nodes(database_url: str) -> AsyncIterator[Cluster]:
    async with cluster(database_url, REDIS_URL) as running:
        yield running


async def sign_in(base_url: str, email: str) -> str:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
    assert response.status_code == 200, response.text
    token: str = response.json()["data"]["accessToken"]
    return token


async def held_by_a_node(nodes: Cluster, charge_point_id: str) -> None:
    """Wait (bounded) until a node has announced the charger's connection in Redis."""
    redis = Redis.from_url(nodes.redis_url)
    try:
        for _ in range(200):
            if await redis.exists(f"{nodes.namespace}:ocpp:cp:{charge_point_id}"):
                return
            await asyncio.sleep(0.05)
    finally:
        await redis.aclose()
    raise AssertionError(f"{charge_point_id} never announced in Redis")


async def test_session_event_raised_on_one_node_reaches_a_driver_on_the_other(
    nodes: Cluster,
) -> None:
    charger = await make_charger(nodes.runtime)
    driver = await make_driver(nodes.runtime)
    tag = await make_id_tag(nodes.runtime, driver)
    token = await sign_in(nodes.a, driver.email)
    async with (
        connected(nodes.a, token=token) as socket,
        connect(nodes.b, charger.charge_point_id) as cp,
    ):
        await start_session(cp, tag)
        started = await socket.next("session-started")
    assert started["session"]["userId"] == str(driver.id)
    assert started["session"]["chargerId"] == charger.charge_point_id


async def test_charger_status_crosses_nodes_to_its_owner_only(nodes: Cluster) -> None:
    brand = await make_user(nodes.runtime, role=Role.BRAND)
    own = await make_charger(nodes.runtime, owner=brand)
    foreign = await make_charger(nodes.runtime)
    async with (
        connected(nodes.a, token=await sign_in(nodes.a, brand.email)) as socket,
        connect(nodes.b, foreign.charge_point_id) as foreign_cp,
        connect(nodes.b, own.charge_point_id) as own_cp,
    ):
        await foreign_cp.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Faulted")
        )
        await own_cp.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing")
        )
        status = await socket.next("charger-status")
    assert status["chargerId"] == own.charge_point_id


async def test_command_sent_to_one_node_reaches_a_charger_held_by_the_other(
    nodes: Cluster,
) -> None:
    brand = await make_user(nodes.runtime, role=Role.BRAND)
    charger = await make_charger(nodes.runtime, owner=brand)
    token = await sign_in(nodes.b, brand.email)
    async with connect(nodes.a, charger.charge_point_id):
        await held_by_a_node(nodes, charger.charge_point_id)
        async with httpx.AsyncClient(base_url=nodes.b) as client:
            response = await client.post(
                f"/api/v1/chargers/{charger.charge_point_id}/command",
                json={"command": "Reset", "params": {"type": "Soft"}},
                headers=bearer(token),
            )
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"command": "Reset", "result": {"status": "Accepted"}}


async def test_charger_rejection_on_the_other_node_comes_back_as_the_same_error(
    nodes: Cluster,
) -> None:
    brand = await make_user(nodes.runtime, role=Role.BRAND)
    charger = await make_charger(nodes.runtime, owner=brand)
    token = await sign_in(nodes.b, brand.email)
    async with connect(nodes.a, charger.charge_point_id):
        await held_by_a_node(nodes, charger.charge_point_id)
        async with httpx.AsyncClient(base_url=nodes.b) as client:
            # The test charge point has no ChangeConfiguration handler: it answers a CallError.
            response = await client.post(
                f"/api/v1/chargers/{charger.charge_point_id}/command",
                json={
                    "command": "ChangeConfiguration",
                    "params": {"key": "HeartbeatInterval", "value": "30"},
                },
                headers=bearer(token),
            )
    assert response.status_code == 400, response.text
    assert "NotImplemented" in response.json()["message"]


async def test_command_for_a_charger_connected_nowhere_is_a_conflict(nodes: Cluster) -> None:
    brand = await make_user(nodes.runtime, role=Role.BRAND)
    charger = await make_charger(nodes.runtime, owner=brand)
    token = await sign_in(nodes.b, brand.email)
    async with httpx.AsyncClient(base_url=nodes.b) as client:
        response = await client.post(
            f"/api/v1/chargers/{charger.charge_point_id}/command",
            json={"command": "Reset", "params": {"type": "Soft"}},
            headers=bearer(token),
        )
    assert response.status_code == 409, response.text
