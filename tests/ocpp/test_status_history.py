"""A charger's StatusNotifications (and its going offline) are kept as connector status
history, which charger utilization is measured from."""

from __future__ import annotations

from datetime import timedelta

import httpx
from ocpp.v16 import call
from sqlalchemy import select

from evcare.charging.chargers.models import ConnectorStatusChange
from evcare.charging.stations.models import Connector
from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.ocpp.registry import registry_of
from tests.factories.identity import bearer, login, make_user
from tests.factories.ocpp import connect, iso, make_charger


async def test_status_notifications_and_the_disconnect_are_kept_in_order(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    owner = await make_user(runtime, role=Role.BRAND)
    charger = await make_charger(runtime, owner=owner, connectors=1)
    began = utcnow() - timedelta(hours=2)
    async with connect(live_server, charger.charge_point_id) as cp:
        await cp.call(
            call.StatusNotification(
                connector_id=1, error_code="NoError", status="Available", timestamp=iso(began)
            )
        )
        await cp.call(
            call.StatusNotification(
                connector_id=1,
                error_code="NoError",
                status="Charging",
                timestamp=iso(began + timedelta(hours=1)),
            )
        )
        # Connector 0 is the charger itself: not a connector's history.
        await cp.call(
            call.StatusNotification(connector_id=0, error_code="NoError", status="Available")
        )
    await registry_of(runtime).wait_idle()
    async with runtime.sessionmaker() as session:
        connector = await session.scalar(
            select(Connector).where(Connector.charger_id == charger.id)
        )
        rows = (
            await session.scalars(
                select(ConnectorStatusChange)
                .where(ConnectorStatusChange.charger_id == charger.id)
                .order_by(ConnectorStatusChange.id)
            )
        ).all()
    assert connector is not None
    assert [(row.connector_id, row.status) for row in rows] == [
        (connector.id, "Available"),
        (connector.id, "Charging"),
        (connector.id, "Offline"),
    ]
    assert rows[0].at == began
    assert rows[1].at == began + timedelta(hours=1)
    # Utilization: an hour Available, then Charging until the charger went offline.
    headers = bearer(await login(client, owner))
    stats = await client.get("/api/v1/analytics/charger-stats", headers=headers)
    assert stats.status_code == 200, stats.text
    (row,) = stats.json()["data"]["chargers"]
    offline_after = (rows[2].at - rows[1].at).total_seconds() / 60
    assert row["chargingMinutes"] == round(offline_after, 1)
    assert row["availableMinutes"] == round(60 + offline_after, 1)
