"""OCPP 2.0.1 transaction ids are any string up to 36 characters: every one is a session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from evcare.charging.sessions.models import ChargingSession
from evcare.core.runtime import Runtime
from tests.factories.identity import bearer, login
from tests.factories.ocpp import connect, make_charger, make_driver, make_id_tag

# (transaction id, what ocppTransactionId shows): only an ASCII key reads as a number.
TRANSACTION_IDS = [
    ("²", None),
    ("١٢", None),
    ("99999999999999999999", None),
    ("x" * 36, None),
    ("12", 12),
]


@pytest.mark.parametrize(("transaction_id", "shown"), TRANSACTION_IDS)
async def test_any_201_transaction_id_is_recorded_and_billed_as_a_session(
    live_server: str,
    runtime: Runtime,
    client: httpx.AsyncClient,
    transaction_id: str,
    shown: int | None,
) -> None:
    charger = await make_charger(runtime, base_price_minor=1000)
    driver = await make_driver(runtime)
    tag = await make_id_tag(runtime, driver)
    start = datetime(2026, 4, 6, 9, 0, tzinfo=UTC)
    async with connect(live_server, charger.charge_point_id, subprotocol="ocpp2.0.1") as cs:
        started = await cs.transaction_event(
            "Started", transaction_id, energy_wh=1000, id_token=tag, at=start
        )
        assert started.id_token_info["status"] == "Accepted"
        await cs.transaction_event(
            "Ended", transaction_id, energy_wh=3000, at=start + timedelta(minutes=10)
        )
    async with runtime.sessionmaker() as session:
        row = (await session.scalars(select(ChargingSession))).one()
    assert (row.transaction_id, row.energy_wh, row.cost_minor) == (transaction_id, 2000, 2000)
    answer = await client.get(
        f"/api/v1/sessions/{row.id}", headers=bearer(await login(client, driver))
    )
    assert answer.status_code == 200, answer.text
    document = answer.json()["data"]["session"]
    assert (document["status"], document["ocppTransactionId"]) == ("completed", shown)
