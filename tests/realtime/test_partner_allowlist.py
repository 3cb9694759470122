"""socket.io with a partner user's token obeys the integration: its bundles, its allowlist
(the socket's HTTP twin, ``GET /api/v1/sessions/{session_id}``) and its status, over a real
socket.io connection."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from evcare.realtime.access import SOCKET_ENDPOINT
from tests.factories.integrations import admin_headers, create_integration, partner_user
from tests.factories.realtime import connected

PROFILE = "GET /api/v1/profile"
# The partner's backend signs its users in: that route is on every allowlist here.
EXCHANGE = "POST /v1/integrations/auth/exchange"


async def test_a_partner_user_off_the_allowlist_cannot_authenticate(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    created = await create_integration(
        client, await admin_headers(runtime, client), allowedEndpoints=[EXCHANGE, PROFILE]
    )
    token = (await partner_user(client, created))["accessToken"]
    async with connected(live_server) as socket:
        ack = await socket.call("authenticate", {"token": token})
        refusal = await socket.next("unauthorized")
    assert ack["success"] is False
    assert refusal == {"message": f"{SOCKET_ENDPOINT} is not on this integration's allowlist"}
    assert socket.received("authenticated") == []


async def test_on_the_allowlist_it_connects_and_a_narrowed_allowlist_closes_it(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    admin = await admin_headers(runtime, client)
    created = await create_integration(client, admin, allowedEndpoints=[EXCHANGE, SOCKET_ENDPOINT])
    browser = await partner_user(client, created)
    async with connected(live_server) as socket:
        ack = await socket.call("authenticate", {"token": browser["accessToken"]})
        assert ack == {"success": True, "userId": browser["user"]["id"]}
        narrowed = await client.patch(
            f"/v1/integrations/{created['integration']['id']}",
            json={"allowedEndpoints": [EXCHANGE, PROFILE]},
            headers=admin,
        )
        assert narrowed.status_code == 200
        joined = await socket.call("join-session", {"sessionId": "SES000001"})
    assert joined == {
        "success": False,
        "message": f"{SOCKET_ENDPOINT} is not on this integration's allowlist",
    }


async def test_an_empty_allowlist_lets_the_bundles_decide_and_suspension_refuses(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    admin = await admin_headers(runtime, client)
    created = await create_integration(client, admin)
    browser = await partner_user(client, created)
    async with connected(live_server, token=browser["accessToken"]) as socket:
        assert socket.received("unauthorized") == []
    suspended = await client.patch(
        f"/v1/integrations/{created['integration']['id']}",
        json={"status": "suspended"},
        headers=admin,
    )
    assert suspended.status_code == 200
    async with connected(live_server) as socket:
        ack = await socket.call("authenticate", {"token": browser["accessToken"]})
    assert ack == {"success": False, "message": "Integration is suspended"}


async def test_the_socket_twin_is_a_route_the_allowlist_can_name(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    bundles = (await client.get("/v1/integrations/bundles")).json()["data"]
    client_access = next(b for b in bundles if b["bundle"] == "CLIENT_ACCESS")
    method, _, path = SOCKET_ENDPOINT.partition(" ")
    assert {"method": method, "path": path} in client_access["endpoints"]
