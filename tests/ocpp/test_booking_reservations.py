"""A confirmed booking holds its connector on the charger: real OCPP ReserveNow before the
window, CancelReservation when it is cancelled or a no-show; ``start`` remote-starts on
the booked connector and links the session, ``complete`` takes the session's figures."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from ocpp.v16 import call as call16
from sqlalchemy import select

from evcare.charging.bookings import jobs
from evcare.charging.bookings.models import BookingLog, ConnectorBooking
from evcare.charging.reviews.models import StationReview
from evcare.charging.sessions.id_tags import app_token
from evcare.charging.sessions.models import ChargingSession
from evcare.charging.stations.models import Station
from evcare.core.clock import clock, utcnow
from evcare.core.runtime import Runtime
from evcare.ocpp.registry import registry_of
from tests.factories.connector_bookings import BOOKINGS, book, driver
from tests.factories.ocpp import connect, iso, make_charger, make_id_tag
from tests.factories.wallet import balance_minor


async def tick(runtime: Runtime) -> jobs.Outcome:
    """One run of the bookings job, reaching the chargers through this process's registry."""
    return await jobs.run_once(runtime, registry_of(runtime))


def _token(runtime: Runtime, user_id: int) -> str:
    return app_token(runtime.settings.secret_key.get_secret_value(), user_id=user_id)


def _sent(cp: object, action: str) -> list[dict[str, object]]:
    return [payload for name, payload in cp.received if name == action]  # type: ignore[attr-defined]


async def _events(runtime: Runtime, booking_id: str) -> list[str]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(BookingLog.event).where(BookingLog.booking_id == int(booking_id))
        )
        return list(rows)


async def test_reserve_now_reaches_a_16_charger_before_the_window_and_cancel_releases_it(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient, frozen_clock: None
) -> None:
    who = await driver(runtime, client)
    charger = await make_charger(runtime)
    booking = await book(client, who, charger, at=utcnow() + timedelta(minutes=3), minutes=30)
    far = await book(client, who, charger, at=utcnow() + timedelta(hours=3))
    # Not connected: nothing sent; the claim is a lease, so it is retried after it.
    assert (await tick(runtime)).reserved == []
    async with connect(live_server, charger.charge_point_id) as cp:
        assert (await tick(runtime)).reserved == []
        assert _sent(cp, "ReserveNow") == []
        clock.advance(jobs.RESERVE_LEASE + timedelta(seconds=1))
        assert (await tick(runtime)).reserved == [int(booking["id"])]
        assert (await tick(runtime)).reserved == []  # once
        reserve = _sent(cp, "ReserveNow")
        assert len(reserve) == 1  # the booking three hours away is not reserved yet
        assert reserve[0]["connector_id"] == 1
        assert reserve[0]["reservation_id"] == int(booking["id"])
        assert reserve[0]["id_tag"] == _token(runtime, who.user.id)
        expiry = datetime.fromisoformat(str(reserve[0]["expiry_date"]))
        start = datetime.fromisoformat(booking["scheduledTime"])
        assert expiry == start + timedelta(minutes=30)  # held for the booking's window
        cancelled = await client.put(
            f"{BOOKINGS}/{booking['id']}/cancel", json={"reason": "No time"}, headers=who.headers
        )
        assert cancelled.status_code == 200, cancelled.text
        assert _sent(cp, "CancelReservation") == [{"reservation_id": int(booking["id"])}]
        # A booking the charger never reserved is cancelled without a call.
        await client.put(
            f"{BOOKINGS}/{far['id']}/cancel", json={"reason": "x"}, headers=who.headers
        )
        assert len(_sent(cp, "CancelReservation")) == 1
    assert "reserved-on-charger" in await _events(runtime, booking["id"])
    # Three minutes before the start is past the 30-minute window: that fee is kept.
    assert await balance_minor(runtime, who.user) == 100_000 - 5_000


async def test_a_201_charger_gets_reserve_now_in_its_shape(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who = await driver(runtime, client)
    charger = await make_charger(runtime)
    booking = await book(client, who, charger, at=utcnow() + timedelta(minutes=2), minutes=30)
    async with connect(live_server, charger.charge_point_id, subprotocol="ocpp2.0.1") as cs:
        assert (await tick(runtime)).reserved == [int(booking["id"])]
        [reserve] = _sent(cs, "ReserveNow")
        assert reserve["id"] == int(booking["id"])
        assert reserve["evse_id"] == 1
        assert reserve["id_token"] == {"id_token": _token(runtime, who.user.id), "type": "Central"}
        await client.put(
            f"{BOOKINGS}/{booking['id']}/cancel", json={"reason": "x"}, headers=who.headers
        )
        assert _sent(cs, "CancelReservation") == [{"reservation_id": int(booking["id"])}]


async def test_a_charger_that_refuses_the_reservation_is_recorded_and_not_asked_again(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who = await driver(runtime, client)
    charger = await make_charger(runtime)
    booking = await book(client, who, charger, at=utcnow() + timedelta(minutes=2), minutes=30)
    async with connect(live_server, charger.charge_point_id) as cp:
        cp.reserve_answer = "Occupied"
        assert (await tick(runtime)).reserved == []
        assert (await tick(runtime)).reserved == []
        assert len(_sent(cp, "ReserveNow")) == 1
    assert "charger-Occupied" in await _events(runtime, booking["id"])


async def test_a_no_show_is_cancelled_its_fee_kept_and_the_connector_released(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient, frozen_clock: None
) -> None:
    who = await driver(runtime, client)
    charger = await make_charger(runtime)
    booking = await book(client, who, charger, at=utcnow() + timedelta(minutes=2), minutes=60)
    async with connect(live_server, charger.charge_point_id) as cp:
        assert (await tick(runtime)).reserved == [int(booking["id"])]
        clock.advance(timedelta(minutes=2) + jobs.NO_SHOW_GRACE - timedelta(seconds=1))
        assert (await tick(runtime)).no_shows == []  # still inside the grace period
        clock.advance(timedelta(seconds=2))
        assert (await tick(runtime)).no_shows == [int(booking["id"])]
        assert (await tick(runtime)).no_shows == []
        assert _sent(cp, "CancelReservation") == [{"reservation_id": int(booking["id"])}]
    async with runtime.sessionmaker() as session:
        row = await session.get(ConnectorBooking, int(booking["id"]))
    assert row is not None and row.status == "cancelled" and row.no_show
    assert row.cancellation_reason and row.cancellation_reason.startswith("No-show")
    events = await _events(runtime, booking["id"])
    assert events[-3:] == ["no-show", "reservation-fee-kept", "connector-released"]
    assert await balance_minor(runtime, who.user) == 95_000


async def test_start_charges_on_the_booked_connector_and_complete_takes_the_sessions_figures(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who = await driver(runtime, client)
    charger = await make_charger(runtime)  # 20 rupees per kWh
    booking = await book(client, who, charger, at=utcnow() + timedelta(minutes=10), minutes=60)
    url = f"{BOOKINGS}/{booking['id']}"
    async with connect(live_server, charger.charge_point_id) as cp:
        started = await client.put(f"{url}/start", headers=who.headers)
        assert started.status_code == 200, started.text
        active = started.json()["data"]["booking"]
        assert active["status"] == "active" and active["sessionId"]
        [remote] = _sent(cp, "RemoteStartTransaction")
        assert remote["id_tag"] == _token(runtime, who.user.id)
        assert remote["connector_id"] == 1
        assert_started = await client.put(f"{url}/start", headers=who.headers)
        assert assert_started.status_code == 409
        running = await client.put(f"{url}/complete", json={}, headers=who.headers)
        assert running.status_code == 409  # the session still charges
        stopped = await client.post(
            f"/api/v1/sessions/{active['sessionId']}/stop", headers=who.headers
        )
        assert stopped.status_code == 200, stopped.text
        body = {"energyConsumed": 99, "finalSoC": 90, "rating": {"score": 5}}
        done = await client.put(f"{url}/complete", json=body, headers=who.headers)
    assert done.status_code == 200, done.text
    completed = done.json()["data"]["booking"]
    async with runtime.sessionmaker() as session:
        charged = await session.scalar(select(ChargingSession))
        station = await session.get(Station, charger.station_id)
    assert charged is not None and charged.user_id == who.user.id
    assert charged.vehicle_id == who.vehicle.id
    assert completed["status"] == "completed"
    assert completed["energyConsumed"] == 3.5  # the charger's meter 1000 -> 4500 Wh, not 99
    assert charged.energy_cost_minor == 7000 and charged.gst_minor == 1068
    # The session's own price (GST inside its 70.00) plus the reservation fee, to the paisa.
    assert completed["cost"]["energyCost"] == 59.32
    assert completed["cost"]["gst"] == 10.68
    assert completed["cost"]["total"] == (charged.cost_minor or 0) / 100 + 50
    assert completed["finalSoC"] == 90
    assert [log["event"] for log in completed["logs"]][-3:] == ["started", "rated", "completed"]
    # The rating is a review waiting for moderation: not counted in the station's yet.
    assert station is not None and (station.rating, station.total_reviews) == (0, 0)
    async with runtime.sessionmaker() as session:
        review = await session.scalar(select(StationReview))
    assert review is not None and (review.rating, review.status) == (5, "pending")
    assert review.booking_id == int(completed["id"])


async def test_a_session_started_with_the_drivers_card_on_the_booked_connector_joins_it(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who = await driver(runtime, client)
    other = await driver(runtime, client)
    card = await make_id_tag(runtime, who.user)
    other_card = await make_id_tag(runtime, other.user)
    charger = await make_charger(runtime)
    booking = await book(client, who, charger, at=utcnow() + timedelta(minutes=10), minutes=60)
    url = f"{BOOKINGS}/{booking['id']}"
    async with connect(live_server, charger.charge_point_id) as cp:
        # Another driver on the booked connector, and this driver on another: no join.
        for tag, connector in ((other_card, 1), (card, 2)):
            started = await cp.call(
                call16.StartTransaction(
                    connector_id=connector, id_tag=tag, meter_start=0, timestamp=iso(utcnow())
                )
            )
            assert started.id_tag_info["status"] == "Accepted"
            await cp.call(
                call16.StopTransaction(
                    meter_stop=10, timestamp=iso(utcnow()), transaction_id=started.transaction_id
                )
            )
        waiting = (await client.get(url, headers=who.headers)).json()["data"]["booking"]
        assert (waiting["status"], waiting["sessionId"]) == ("confirmed", None)
        plugged = await cp.call(
            call16.StartTransaction(
                connector_id=1, id_tag=card, meter_start=1000, timestamp=iso(utcnow())
            )
        )
        assert plugged.id_tag_info["status"] == "Accepted"
        joined = (await client.get(url, headers=who.headers)).json()["data"]["booking"]
        assert joined["status"] == "active"
        assert joined["sessionId"] == f"SES{plugged.transaction_id:06d}"
        assert [log["event"] for log in joined["logs"]][-1] == "started"
        await cp.call(
            call16.StopTransaction(
                meter_stop=3000, timestamp=iso(utcnow()), transaction_id=plugged.transaction_id
            )
        )
    done = await client.put(f"{url}/complete", json={}, headers=who.headers)
    assert done.status_code == 200, done.text
    assert done.json()["data"]["booking"]["energyConsumed"] == 2.0


async def test_starting_a_booking_with_a_wallet_under_the_minimum_is_a_400(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who = await driver(runtime, client, funds=5_000 + 9_000)  # Rs 90 left after the fee
    charger = await make_charger(runtime)
    booking = await book(client, who, charger, at=utcnow() + timedelta(minutes=10), minutes=60)
    async with connect(live_server, charger.charge_point_id) as cp:
        refused = await client.put(f"{BOOKINGS}/{booking['id']}/start", headers=who.headers)
        assert refused.status_code == 400, refused.text
        assert refused.json()["errors"][0]["field"] == "minWalletBalance"
        assert "below the minimum of 100.00 INR" in refused.json()["message"]
        assert _sent(cp, "RemoteStartTransaction") == []
    still = await client.get(f"{BOOKINGS}/{booking['id']}", headers=who.headers)
    assert still.json()["data"]["booking"]["status"] == "confirmed"


async def test_a_201_card_presented_after_plug_in_on_the_booked_connector_joins_it(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who = await driver(runtime, client)
    card = await make_id_tag(runtime, who.user)
    charger = await make_charger(runtime)
    booking = await book(client, who, charger, at=utcnow() + timedelta(minutes=5), minutes=30)
    async with connect(live_server, charger.charge_point_id, subprotocol="ocpp2.0.1") as cs:
        await cs.transaction_event("Started", "tx-booked", energy_wh=0, trigger="CablePluggedIn")
        unclaimed = await client.get(f"{BOOKINGS}/{booking['id']}", headers=who.headers)
        assert unclaimed.json()["data"]["booking"]["status"] == "confirmed"
        answer = await cs.transaction_event("Updated", "tx-booked", energy_wh=10, id_token=card)
        assert answer.id_token_info["status"] == "Accepted"
    joined = (await client.get(f"{BOOKINGS}/{booking['id']}", headers=who.headers)).json()
    async with runtime.sessionmaker() as session:
        row = await session.scalar(
            select(ChargingSession).where(ChargingSession.transaction_id == "tx-booked")
        )
    assert row is not None
    assert (joined["data"]["booking"]["status"], joined["data"]["booking"]["sessionId"]) == (
        "active",
        f"SES{row.id:06d}",
    )
