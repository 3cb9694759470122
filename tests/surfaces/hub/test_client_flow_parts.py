"""Issue 15's whole flow, the client and ticket parts: a partner signs its client in, the
client's car charges over real OCPP and shows on /v1/client, the client opens a ticket
about it, the fleet's manager sees it, EV-CMS support answers it, and the partner's
endpoint hears every step once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from ocpp.v16 import call

from evcare.core.runtime import Runtime
from evcare.identity.models import User
from evcare.ocpp.registry import registry_of
from tests.factories.identity import bearer
from tests.factories.integrations import (
    admin_headers,
    client_token,
    create_integration,
    exchange,
    partner_user,
)
from tests.factories.ocpp import connect, iso, make_charger, make_id_tag, start_charging
from tests.factories.server import live_server
from tests.factories.wallet import fund
from tests.factories.webhooks import Receiver, create_webhook, deliver_all

__all__ = ["live_server"]

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("private_allowed")


async def _signed_in(
    client: httpx.AsyncClient, token: str, integration_id: str, role_hint: str
) -> dict[str, Any]:
    """Quickstart steps 3 and 4: the backend exchanges its user, the browser redeems."""
    exchanged = await exchange(client, token, integration_id, role_hint=role_hint)
    assert exchanged.status_code == 200, exchanged.text
    redeemed = await client.post(
        "/v1/integrations/auth/session", json={"sessionCode": exchanged.json()["sessionCode"]}
    )
    assert redeemed.status_code == 200, redeemed.text
    body: dict[str, Any] = redeemed.json()
    return body


async def test_a_partners_client_charges_opens_a_ticket_and_the_fleet_and_support_work_it(
    client: httpx.AsyncClient, runtime: Runtime, live_server: str, receiver: Receiver
) -> None:
    admin = await admin_headers(runtime, client)
    created = await create_integration(
        client, admin, bundles=["CLIENT_ACCESS", "FLEET_MANAGER_ACCESS"]
    )
    integration_id = created["integration"]["id"]
    backend_token = await client_token(client, created["credentials"])
    backend = bearer(backend_token)
    await create_webhook(
        client,
        backend,
        integration_id,
        receiver.url("/flow"),
        ["session.started", "session.completed", "ticket.created", "ticket.updated"],
    )
    signed = await _signed_in(client, backend_token, integration_id, "CLIENT")
    me = bearer(signed["accessToken"])
    manager = bearer(
        (await partner_user(client, created, role_hint="FLEET_MANAGER"))["accessToken"]
    )

    # The client's car, added on EV-CMS, is their vehicle on the hub: the one vehicle row.
    added = await client.post(
        "/api/v1/profile/vehicles",
        json={
            "make": "Tata",
            "model": "Nexon EV",
            "year": 2024,
            "batteryCapacity": 40.5,
            "registrationNumber": "KA01FL0001",
        },
        headers=me,
    )
    assert added.status_code == 201, added.text
    vehicles = (await client.get("/v1/client/vehicles", headers=me)).json()["data"]
    assert [(v["registrationNumber"], v["isDefault"]) for v in vehicles] == [("KA01FL0001", True)]

    # It charges over real OCPP with the client's card.
    async with runtime.sessionmaker() as session:
        user = await session.get(User, int(signed["user"]["id"]))
        assert user is not None
    await fund(runtime, user, 50_000)
    tag = await make_id_tag(runtime, user)
    charger = await make_charger(runtime, base_price_minor=2000)
    async with connect(live_server, charger.charge_point_id) as cp:
        reading = (START + timedelta(minutes=20), 13_000)
        transaction = await start_charging(cp, tag, meter_start=1_000, at=START, reading=reading)
        await cp.call(
            call.StopTransaction(
                meter_stop=13_000,
                timestamp=iso(START + timedelta(minutes=30)),
                transaction_id=transaction,
            )
        )
    await registry_of(runtime).wait_idle()
    sessions = (await client.get("/v1/client/sessions", headers=me)).json()
    [charged] = sessions["data"]
    assert (charged["id"], charged["status"]) == (str(transaction), "completed")
    assert (charged["vehicleId"], charged["energyConsumed"]) == (vehicles[0]["id"], 12.0)
    assert charged["chargerId"] == charger.charge_point_id and charged["cost"] == 240

    # The client opens a ticket about it; the fleet's manager sees it among the fleet's.
    opened = await client.post(
        "/v1/client/tickets",
        json={
            "subject": f"Session {charged['sessionId']} overcharged",
            "description": "I expected less than 240",
            "category": "billing",
        },
        headers={**me, "Idempotency-Key": "flow-ticket"},
    )
    assert opened.status_code == 201, opened.text
    ticket = opened.json()
    fleet = (await client.get("/v1/fleet/tickets", headers=manager)).json()["data"]
    assert [t["ticketNumber"] for t in fleet] == [ticket["ticketNumber"]]

    # EV-CMS support answers on /api/v1; the reply shows on both hub routes.
    answered = await client.post(
        f"/api/v1/support/tickets/{ticket['id']}/comments",
        json={"comment": "12 kWh at Rs 20: the amount is right"},
        headers=admin,
    )
    assert answered.status_code == 201, answered.text
    for path, headers in (
        (f"/v1/client/tickets/{ticket['id']}", me),
        (f"/v1/fleet/tickets/{ticket['id']}", manager),
    ):
        read = (await client.get(path, headers=headers)).json()
        assert read["status"] == "in-progress"
        assert [c["authorType"] for c in read["comments"]] == ["support"]
    closed = await client.patch(
        f"/v1/fleet/tickets/{ticket['id']}", json={"status": "closed"}, headers=manager
    )
    assert closed.status_code == 200, closed.text
    assert (await client.get(f"/v1/client/tickets/{ticket['id']}", headers=me)).json()[
        "status"
    ] == "closed"

    await deliver_all(runtime)
    await deliver_all(runtime)
    hooks = [json.loads(hook.body) for hook in receiver.received]
    assert [hook["type"] for hook in hooks] == [
        "session.started",
        "session.completed",
        "ticket.created",
        "ticket.updated",
        "ticket.updated",
    ]
    assert [hook["data"]["resource"]["status"] for hook in hooks[2:]] == [
        "open",
        "in-progress",
        "closed",
    ]
