"""An admin's alert reaches each recipient's socket live as ``notification``, once."""

from __future__ import annotations

from datetime import datetime

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import login, make_user, signed_in
from tests.factories.realtime import connected


async def test_a_targeted_alert_is_heard_live_by_its_target_only(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    target, bystander = await make_user(runtime), await make_user(runtime)
    async with (
        connected(live_server, token=await login(client, target)) as socket,
        connected(live_server, token=await login(client, bystander)) as other,
    ):
        response = await client.post(
            "/api/v1/notifications",
            json={"title": "Outage", "message": "Back at 10", "targetUsers": [str(target.id)]},
            headers=admin,
        )
        assert response.status_code == 201, response.text
        runtime.outbox.wake()
        heard = (await socket.next("notification"))["notification"]
        listed = await client.get(
            "/api/v1/notifications",
            headers={"Authorization": f"Bearer {await login(client, target)}"},
        )
    stored = listed.json()["data"]["notifications"][0]
    # The live event is the stored Notification object (the same instant, too).
    assert datetime.fromisoformat(heard.pop("createdAt")) == datetime.fromisoformat(
        stored.pop("createdAt")
    )
    assert heard == stored
    assert (heard["title"], heard["type"], heard["userId"]) == ("Outage", "system", str(target.id))
    assert socket.received("notification") == []
    assert other.received("notification") == []
