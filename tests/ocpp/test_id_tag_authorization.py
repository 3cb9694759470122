"""What real OCPP 1.6 and 2.0.1 chargers are told about a presented card (docs/ocpp.md
"Charging cards"): Accepted with the cache's expiry and the group, Blocked, Expired,
Invalid, ConcurrentTx, and a wallet under minWalletBalance (Blocked on 1.6, NoCredit on
2.0.1); the same rule refuses a remote start before anything reaches the charger."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from sqlalchemy import select

from evcare.charging.sessions import id_tag_repository
from evcare.charging.sessions.id_tags import CACHE_LIFETIME
from evcare.charging.sessions.models import ChargingSession
from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import bearer, login, make_user, signed_in
from tests.factories.ocpp import connect, iso, make_charger, make_driver, make_id_tag
from tests.factories.wallet import fund

ADMIN = "/api/v1/admin/id-tags"


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def _issue(
    client: httpx.AsyncClient, admin: dict[str, str], user_id: int, tag: str, **fields: object
) -> dict[str, object]:
    response = await client.post(
        ADMIN, json={"userId": str(user_id), "idTag": tag, **fields}, headers=admin
    )
    assert response.status_code == 201, response.text
    card: dict[str, object] = response.json()["data"]["idTag"]
    return card


async def test_an_accepted_card_carries_its_group_and_a_cache_expiry_on_both_versions(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger = await make_charger(runtime)
    charger201 = await make_charger(runtime)
    driver = await make_driver(runtime)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    await _issue(client, admin, driver.id, "GROUP-7", maxActiveSessions=None)
    soon = (utcnow() + timedelta(hours=2)).replace(microsecond=0)
    await _issue(client, admin, driver.id, "CARD-7", parentIdTag="GROUP-7", expiryDate=iso(soon))
    await _issue(client, admin, driver.id, "CARD-8")
    async with connect(live_server, charger.charge_point_id) as cp:
        info = (await cp.call(call16.Authorize(id_tag="CARD-7"))).id_tag_info
        assert info == {"status": "Accepted", "expiry_date": iso(soon), "parent_id_tag": "GROUP-7"}
        # Without an expiry of its own, the cache holds a card for CACHE_LIFETIME at most.
        info = (await cp.call(call16.Authorize(id_tag="CARD-8"))).id_tag_info
        assert set(info) == {"status", "expiry_date"} and info["status"] == "Accepted"
        cached = _when(info["expiry_date"]) - utcnow()
        assert CACHE_LIFETIME - timedelta(minutes=1) < cached <= CACHE_LIFETIME
    async with connect(live_server, charger201.charge_point_id, subprotocol="ocpp2.0.1") as cs:
        answer = await cs.call(
            call201.Authorize(id_token={"id_token": "CARD-7", "type": "ISO14443"})
        )
        assert answer.id_token_info == {
            "status": "Accepted",
            "cache_expiry_date_time": iso(soon),
            "group_id_token": {"id_token": "GROUP-7", "type": "Central"},
        }


async def test_blocked_expired_and_unknown_cards_are_refused_by_name(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger = await make_charger(runtime)
    charger201 = await make_charger(runtime)
    driver = await make_driver(runtime)
    headers = bearer(await login(client, driver))
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    lost = await client.post("/api/v1/profile/id-tags", json={"idTag": "LOST-1"}, headers=headers)
    assert lost.status_code == 201, lost.text
    past = (utcnow() - timedelta(days=1)).replace(microsecond=0)
    await _issue(client, admin, driver.id, "OLD-1", expiryDate=iso(past))
    async with connect(live_server, charger.charge_point_id) as cp:
        assert (await cp.call(call16.Authorize(id_tag="LOST-1"))).id_tag_info["status"] == (
            "Accepted"
        )
        blocked = await client.put(
            f"/api/v1/profile/id-tags/{lost.json()['data']['idTag']['id']}/block", headers=headers
        )
        assert blocked.status_code == 200, blocked.text
        assert (await cp.call(call16.Authorize(id_tag="LOST-1"))).id_tag_info == {
            "status": "Blocked"
        }
        assert (await cp.call(call16.Authorize(id_tag="OLD-1"))).id_tag_info == {
            "status": "Expired",
            "expiry_date": iso(past),
        }
        assert (await cp.call(call16.Authorize(id_tag="NOBODY"))).id_tag_info == {
            "status": "Invalid"
        }
        started = await cp.call(
            call16.StartTransaction(
                connector_id=1, id_tag="LOST-1", meter_start=0, timestamp=iso(utcnow())
            )
        )
        assert started.id_tag_info == {"status": "Blocked"}
    async with connect(live_server, charger201.charge_point_id, subprotocol="ocpp2.0.1") as cs:
        for token, status in [("LOST-1", "Blocked"), ("OLD-1", "Expired"), ("NOBODY", "Invalid")]:
            answer = await cs.call(
                call201.Authorize(id_token={"id_token": token, "type": "ISO14443"})
            )
            assert answer.id_token_info["status"] == status


async def test_a_card_at_its_session_limit_is_concurrent_tx_but_its_own_replay_is_not(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime)
    driver = await make_driver(runtime)
    tag = await make_id_tag(runtime, driver)
    async with runtime.sessionmaker() as session:
        found = await id_tag_repository.get_id_tag(session, tag)
        assert found is not None
        found[0].max_active_sessions = 1
        await session.commit()
    at = iso(utcnow())
    async with connect(live_server, charger.charge_point_id) as cp:
        first = await cp.call(
            call16.StartTransaction(connector_id=1, id_tag=tag, meter_start=0, timestamp=at)
        )
        assert first.id_tag_info["status"] == "Accepted"
        replay = await cp.call(
            call16.StartTransaction(connector_id=1, id_tag=tag, meter_start=0, timestamp=at)
        )
        assert (replay.transaction_id, replay.id_tag_info["status"]) == (
            first.transaction_id,
            "Accepted",
        )
        assert (await cp.call(call16.Authorize(id_tag=tag))).id_tag_info["status"] == (
            "ConcurrentTx"
        )
        second = await cp.call(
            call16.StartTransaction(connector_id=2, id_tag=tag, meter_start=0, timestamp=at)
        )
        assert second.id_tag_info["status"] == "ConcurrentTx"
        # The charger stops the refused one; once a session ends, the card may start again.
        for transaction_id in (second.transaction_id, first.transaction_id):
            stopped = await cp.call(
                call16.StopTransaction(
                    meter_stop=10, timestamp=iso(utcnow()), transaction_id=transaction_id
                )
            )
            assert stopped.id_tag_info is None
        assert (await cp.call(call16.Authorize(id_tag=tag))).id_tag_info["status"] == "Accepted"


async def test_a_wallet_under_the_minimum_is_refused_at_authorize_and_start_until_topped_up(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime)
    charger201 = await make_charger(runtime)
    driver = await make_driver(runtime, funds_minor=9_999)  # minWalletBalance is Rs 100
    tag = await make_id_tag(runtime, driver)
    async with connect(live_server, charger.charge_point_id) as cp:
        assert (await cp.call(call16.Authorize(id_tag=tag))).id_tag_info == {"status": "Blocked"}
        started = await cp.call(
            call16.StartTransaction(
                connector_id=1, id_tag=tag, meter_start=0, timestamp=iso(utcnow())
            )
        )
        assert started.id_tag_info == {"status": "Blocked"}
        # The charger ends the refused transaction; the Stop's answer is about the card only.
        stopped = await cp.call(
            call16.StopTransaction(
                meter_stop=0,
                timestamp=iso(utcnow()),
                transaction_id=started.transaction_id,
                id_tag=tag,
            )
        )
        assert stopped.id_tag_info["status"] == "Accepted"
    async with connect(live_server, charger201.charge_point_id, subprotocol="ocpp2.0.1") as cs:
        answer = await cs.call(call201.Authorize(id_token={"id_token": tag, "type": "ISO14443"}))
        assert answer.id_token_info["status"] == "NoCredit"
        assert answer.id_token_info["personal_message"] == {
            "format": "UTF8",
            "content": "Wallet balance 99.99 INR is below the minimum of 100.00 INR "
            "(minWalletBalance): top up to charge",
        }
        event = await cs.transaction_event("Started", "tx-low", energy_wh=0, id_token=tag)
        assert event.id_token_info["status"] == "NoCredit"
        await fund(runtime, driver, 1)
        answer = await cs.call(call201.Authorize(id_token={"id_token": tag, "type": "ISO14443"}))
        assert answer.id_token_info["status"] == "Accepted"


async def test_a_remote_start_for_a_driver_under_the_minimum_is_a_400_and_reaches_no_charger(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    charger = await make_charger(runtime, owner=brand)
    driver = await make_driver(runtime, funds_minor=0)
    async with connect(live_server, charger.charge_point_id) as cp:
        response = await client.post(
            "/api/v1/sessions",
            json={"chargerId": str(charger.id), "connectorId": 1, "userId": str(driver.id)},
            headers=bearer(await login(client, brand)),
        )
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["message"] == (
            "Wallet balance 0.00 INR is below the minimum of 100.00 INR (minWalletBalance): "
            "top up to charge"
        )
        assert body["errors"] == [{"field": "minWalletBalance", "message": body["message"]}]
        assert cp.received == []
    async with runtime.sessionmaker() as session:
        assert (await session.scalars(select(ChargingSession))).all() == []


async def test_a_201_card_presented_after_plug_in_becomes_the_sessions_driver(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime)
    driver = await make_driver(runtime)
    tag = await make_id_tag(runtime, driver)
    async with connect(live_server, charger.charge_point_id, subprotocol="ocpp2.0.1") as cs:
        await cs.transaction_event("Started", "tx-plug", energy_wh=100, trigger="CablePluggedIn")
        updated = await cs.transaction_event("Updated", "tx-plug", energy_wh=200, id_token=tag)
        assert updated.id_token_info["status"] == "Accepted"
    async with runtime.sessionmaker() as session:
        row = await session.scalar(
            select(ChargingSession).where(ChargingSession.transaction_id == "tx-plug")
        )
    assert row is not None and (row.user_id, row.id_tag) == (driver.id, tag)


async def test_two_chargers_starting_with_one_single_session_card_at_once_accept_one(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    # In one process the OCPP writer already takes the two starts in turn; across
    # processes the card's row lock (a start locks it) does.
    first, second = await make_charger(runtime), await make_charger(runtime)
    driver = await make_driver(runtime)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    await _issue(client, admin, driver.id, "ONE-AT-A-TIME", maxActiveSessions=1)
    at = iso(utcnow())
    async with (
        connect(live_server, first.charge_point_id) as one,
        connect(live_server, second.charge_point_id) as two,
    ):
        answers = await asyncio.gather(
            *[
                cp.call(
                    call16.StartTransaction(
                        connector_id=1, id_tag="ONE-AT-A-TIME", meter_start=0, timestamp=at
                    )
                )
                for cp in (one, two)
            ]
        )
    assert sorted(a.id_tag_info["status"] for a in answers) == ["Accepted", "ConcurrentTx"]
