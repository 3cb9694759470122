"""POST /api/v1/chargers/:id/command: REST becomes an OCPP call and returns the answer."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from evcare.charging.chargers import commands
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import bearer, login, make_user, signed_in
from tests.factories.ocpp import CHARGER_PASSWORD, basic_auth, connect, make_charger, ws_url
from tests.surfaces.cms.test_auth import assert_cms_error


async def _brand_and_charger(
    runtime: Runtime, client: httpx.AsyncClient
) -> tuple[object, dict[str, str]]:
    brand = await make_user(runtime, role=Role.BRAND)
    charger = await make_charger(runtime, owner=brand)
    return charger, bearer(await login(client, brand))


async def test_reset_reaches_the_charger_and_returns_its_answer(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger, headers = await _brand_and_charger(runtime, client)
    cp_id = charger.charge_point_id  # type: ignore[attr-defined]
    async with connect(live_server, cp_id) as cp:
        response = await client.post(
            f"/api/v1/chargers/{cp_id}/command", json={"command": "Reset"}, headers=headers
        )
        hard = await client.post(
            f"/api/v1/chargers/{charger.id}/command",  # type: ignore[attr-defined]
            json={"command": "Reset", "params": {"type": "Hard"}},
            headers=headers,
        )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "success": True,
        "message": None,
        "data": {"command": "Reset", "result": {"status": "Accepted"}},
    }
    assert hard.status_code == 200, hard.text
    assert cp.received == [("Reset", {"type": "Soft"}), ("Reset", {"type": "Hard"})]


async def test_unlock_and_get_configuration_round_trip(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger, headers = await _brand_and_charger(runtime, client)
    cp_id = charger.charge_point_id  # type: ignore[attr-defined]
    async with connect(live_server, cp_id) as cp:
        unlock = await client.post(
            f"/api/v1/chargers/{cp_id}/command",
            json={"command": "Unlock", "connectorId": 2},
            headers=headers,
        )
        config = await client.post(
            f"/api/v1/chargers/{cp_id}/command",
            json={"command": "GetConfiguration", "params": {"key": ["HeartbeatInterval"]}},
            headers=headers,
        )
    assert unlock.json()["data"]["result"] == {"status": "Unlocked"}
    assert ("UnlockConnector", {"connector_id": 2}) in cp.received
    assert config.json()["data"]["result"]["configurationKey"][0]["key"] == "HeartbeatInterval"


async def test_a_201_charger_gets_the_201_shape_of_the_command(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger, headers = await _brand_and_charger(runtime, client)
    cp_id = charger.charge_point_id  # type: ignore[attr-defined]
    async with connect(live_server, cp_id, subprotocol="ocpp2.0.1") as cs:
        reset = await client.post(
            f"/api/v1/chargers/{cp_id}/command", json={"command": "Reset"}, headers=headers
        )
        unsupported = await client.post(
            f"/api/v1/chargers/{cp_id}/command",
            json={"command": "TriggerMessage", "params": {"requestedMessage": "Heartbeat"}},
            headers=headers,
        )
    assert reset.json()["data"]["result"] == {"status": "Accepted"}
    assert cs.received == [("Reset", {"type": "OnIdle"})]
    assert_cms_error(unsupported, 400)


async def test_a_charger_that_is_not_connected_is_a_409(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger, headers = await _brand_and_charger(runtime, client)
    response = await client.post(
        f"/api/v1/chargers/{charger.id}/command",  # type: ignore[attr-defined]
        json={"command": "Reset"},
        headers=headers,
    )
    assert_cms_error(response, 409)


async def test_a_charger_that_does_not_answer_is_a_504(
    live_server: str,
    runtime: Runtime,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(commands, "COMMAND_WAIT_SECONDS", 0.5)
    charger, headers = await _brand_and_charger(runtime, client)
    cp_id = charger.charge_point_id  # type: ignore[attr-defined]
    async with websockets.connect(
        ws_url(live_server, cp_id),
        subprotocols=[websockets.Subprotocol("ocpp1.6")],
        additional_headers=basic_auth(cp_id, CHARGER_PASSWORD),
    ) as silent:
        response = await client.post(
            f"/api/v1/chargers/{cp_id}/command", json={"command": "Reset"}, headers=headers
        )
        frame = json.loads(await asyncio.wait_for(silent.recv(), timeout=5))
    assert frame[2] == "Reset"
    assert_cms_error(response, 504)


async def test_bad_commands_and_params_are_422_naming_the_field(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger, headers = await _brand_and_charger(runtime, client)
    cp_id = charger.charge_point_id  # type: ignore[attr-defined]
    async with connect(live_server, cp_id):
        unknown = await client.post(
            f"/api/v1/chargers/{cp_id}/command", json={"command": "Explode"}, headers=headers
        )
        bad_params = await client.post(
            f"/api/v1/chargers/{cp_id}/command",
            json={"command": "Reset", "params": {"type": "Sideways"}},
            headers=headers,
        )
        missing = await client.post(
            f"/api/v1/chargers/{cp_id}/command", json={"connectorId": 1}, headers=headers
        )
    assert assert_cms_error(unknown, 422)["errors"][0]["field"] == "command"  # type: ignore[index]
    assert assert_cms_error(bad_params, 422)["errors"][0]["field"] == "params"  # type: ignore[index]
    assert assert_cms_error(missing, 422)["errors"][0]["field"] == "command"  # type: ignore[index]


async def test_command_needs_a_token_an_operator_and_their_own_charger(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger, _ = await _brand_and_charger(runtime, client)
    url = f"/api/v1/chargers/{charger.id}/command"  # type: ignore[attr-defined]
    assert_cms_error(await client.post(url, json={"command": "Reset"}), 401)
    _, driver = await signed_in(runtime, client)
    assert_cms_error(await client.post(url, json={"command": "Reset"}, headers=driver), 403)
    _, other_brand = await signed_in(runtime, client, Role.BRAND)
    assert_cms_error(await client.post(url, json={"command": "Reset"}, headers=other_brand), 404)
