"""EV-CMS section 5, Bookings over HTTP: the documented shape, the rules of a booking's
window, the reservation fee on the wallet, and who may see what."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from evcare.billing.wallet_models import WalletEntry
from evcare.charging.bookings.models import ConnectorBooking
from evcare.charging.stations.models import Connector, Station
from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.identity.scopes import Scope
from tests.factories.connector_bookings import (
    BOOKINGS,
    book,
    bookable_charger,
    booking_body,
    driver,
)
from tests.factories.identity import signed_in
from tests.factories.ocpp import make_session
from tests.factories.vehicles import narrowed
from tests.factories.wallet import balance_minor
from tests.surfaces.cms.test_auth import assert_cms_error

BOOKING_KEYS = {
    "id",
    "bookingNumber",
    "userId",
    "stationId",
    "connectorId",
    "vehicleId",
    "status",
    "scheduledTime",
    "startTime",
    "endTime",
    "estimatedDuration",
    "duration",
    "energyConsumed",
    "initialSoC",
    "finalSoC",
    "cost",
    "rating",
    "cancellationReason",
    "sessionId",
    "logs",
}
COST_KEYS = {
    "energyCost",
    "reservationFee",
    "parkingFee",
    "platformFee",
    "discount",
    "subtotal",
    "gst",
    "total",
}


async def _bookings(runtime: Runtime) -> int:
    async with runtime.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(ConnectorBooking)) or 0)


async def test_a_booking_is_confirmed_with_its_fee_debited_in_the_documented_shape(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who = await driver(runtime, client, funds=20_000)
    charger = await bookable_charger(runtime)
    at = utcnow() + timedelta(hours=2)
    response = await client.post(
        BOOKINGS, json=booking_body(charger, who.vehicle, at=at, minutes=45), headers=who.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True and body["message"] == "Booking confirmed"
    booking = body["data"]["booking"]
    assert set(booking) == BOOKING_KEYS
    assert set(booking["cost"]) == COST_KEYS
    assert re.fullmatch(r"BKG-\d{4}-\d{6}", booking["bookingNumber"])
    assert booking["status"] == "confirmed"
    assert booking["userId"] == str(who.user.id)
    assert booking["stationId"] == str(charger.station_id)
    assert booking["connectorId"] == f"{charger.id}-1"
    assert booking["vehicleId"] == str(who.vehicle.id)
    assert booking["estimatedDuration"] == 45
    assert booking["cost"] == {
        "energyCost": 0,
        "reservationFee": 50,  # the settings' default reservationFee
        "parkingFee": 0,
        "platformFee": 0,
        "discount": 0,
        "subtotal": 50,
        "gst": 0,
        "total": 50,
    }
    assert [log["event"] for log in booking["logs"]] == [
        "created",
        "reservation-fee-paid",
        "confirmed",
    ]
    assert await balance_minor(runtime, who.user) == 15_000
    async with runtime.sessionmaker() as session:
        entry = await session.scalar(select(WalletEntry).where(WalletEntry.type == "debit"))
    assert entry is not None and entry.kind == "booking_fee"
    assert entry.reference == f"booking:{booking['id']}:fee"
    # GET /:id and GET / answer the same object.
    one = await client.get(f"{BOOKINGS}/{booking['id']}", headers=who.headers)
    assert one.json()["data"]["booking"] == booking
    listed = await client.get(BOOKINGS, headers=who.headers)
    assert listed.json()["data"]["bookings"] == [booking]
    assert listed.json()["pagination"]["total"] == 1


async def test_the_connectors_own_reservation_fee_wins_over_the_setting(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who = await driver(runtime, client)
    charger = await bookable_charger(runtime)
    async with runtime.sessionmaker() as session:
        connector = await session.scalar(
            select(Connector).where(Connector.connector_id == f"{charger.id}-1")
        )
        assert connector is not None
        connector.reservation_fee_minor = 7550
        await session.commit()
    booking = await book(client, who, charger, at=utcnow() + timedelta(hours=1))
    assert booking["cost"]["reservationFee"] == 75.5
    assert await balance_minor(runtime, who.user) == 100_000 - 7550


async def test_an_overlapping_booking_is_a_409_and_a_touching_one_is_fine(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    first, second = await driver(runtime, client), await driver(runtime, client)
    charger = await bookable_charger(runtime)
    at = utcnow() + timedelta(hours=3)
    await book(client, first, charger, at=at, minutes=60)
    for start, minutes in ((at + timedelta(minutes=30), 60), (at - timedelta(minutes=30), 31)):
        clash = await client.post(
            BOOKINGS,
            json=booking_body(charger, second.vehicle, at=start, minutes=minutes),
            headers=second.headers,
        )
        assert_cms_error(clash, 409)
    assert await balance_minor(runtime, second.user) == 100_000  # nothing debited
    await book(client, second, charger, at=at + timedelta(minutes=60), minutes=30)
    await book(client, second, charger, at=at - timedelta(minutes=30), minutes=30)
    other = await client.post(
        BOOKINGS,
        json=booking_body(charger, second.vehicle, at=at, minutes=60, number=2),
        headers=second.headers,
    )
    assert other.status_code == 201, other.text  # the charger's other connector is free


async def test_a_running_session_on_the_connector_blocks_a_booking_that_begins_soon(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who = await driver(runtime, client)
    charger = await bookable_charger(runtime)
    await make_session(runtime, charger, user=None, started_at=utcnow(), minutes=None)
    soon = await client.post(
        BOOKINGS,
        json=booking_body(charger, who.vehicle, at=utcnow() + timedelta(minutes=10)),
        headers=who.headers,
    )
    assert_cms_error(soon, 409)
    await book(client, who, charger, at=utcnow() + timedelta(hours=2))


async def test_a_booking_in_the_past_or_too_far_ahead_is_refused_naming_the_field(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who = await driver(runtime, client)
    charger = await bookable_charger(runtime)
    for at in (utcnow() - timedelta(minutes=5), utcnow() + timedelta(days=7, minutes=1)):
        response = await client.post(
            BOOKINGS, json=booking_body(charger, who.vehicle, at=at), headers=who.headers
        )
        body = assert_cms_error(response, 400)
        assert body["errors"][0]["field"] == "scheduledTime"  # type: ignore[index]
    assert await _bookings(runtime) == 0
    assert await balance_minor(runtime, who.user) == 100_000


async def test_insufficient_funds_is_a_400_and_nothing_is_written(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who = await driver(runtime, client, funds=4_999)
    charger = await bookable_charger(runtime)
    response = await client.post(
        BOOKINGS,
        json=booking_body(charger, who.vehicle, at=utcnow() + timedelta(hours=1)),
        headers=who.headers,
    )
    body = assert_cms_error(response, 400)
    assert body["errors"][0]["field"] == "amount"  # type: ignore[index]
    assert await _bookings(runtime) == 0
    assert await balance_minor(runtime, who.user) == 4_999


async def test_bad_bodies_are_422_naming_the_field(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who = await driver(runtime, client)
    charger = await bookable_charger(runtime)
    good = booking_body(charger, who.vehicle, at=utcnow() + timedelta(hours=1))
    for field, value in (
        ("estimatedDuration", 0),
        ("estimatedDuration", "60"),
        ("scheduledTime", "2030-01-01T10:00:00"),  # no offset: ambiguous
        ("scheduledTime", 1_900_000_000),
        ("stationId", "abc"),
        ("connectorId", "a b"),
        ("vehicleId", 0),
    ):
        response = await client.post(BOOKINGS, json=good | {field: value}, headers=who.headers)
        body = assert_cms_error(response, 422)
        assert body["errors"][0]["field"] == field, (field, body)  # type: ignore[index]
    unknown = await client.post(BOOKINGS, json=good | {"price": 1}, headers=who.headers)
    assert_cms_error(unknown, 422)
    assert await _bookings(runtime) == 0


async def test_someone_elses_station_connector_or_vehicle_is_a_404(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who, other = await driver(runtime, client), await driver(runtime, client)
    charger = await bookable_charger(runtime)
    at = utcnow() + timedelta(hours=1)
    for body in (
        booking_body(charger, other.vehicle, at=at),
        booking_body(charger, who.vehicle, at=at) | {"connectorId": "99-9"},
        booking_body(charger, who.vehicle, at=at) | {"stationId": 999_999},
    ):
        assert_cms_error(await client.post(BOOKINGS, json=body, headers=who.headers), 404)


async def test_anonymous_is_401_a_token_without_scope_403_and_someone_elses_booking_404(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who, other = await driver(runtime, client), await driver(runtime, client)
    charger = await bookable_charger(runtime)
    booking = await book(client, who, charger, at=utcnow() + timedelta(hours=1))
    url = f"{BOOKINGS}/{booking['id']}"
    calls = (
        ("GET", BOOKINGS, None),
        ("GET", url, None),
        ("POST", BOOKINGS, booking_body(charger, who.vehicle, at=utcnow())),
        ("PUT", f"{url}/start", None),
        ("PUT", f"{url}/complete", {}),
        ("PUT", f"{url}/cancel", {"reason": "x"}),
    )
    no_read = narrowed(runtime, who.token, without=Scope.READ_BOOKINGS)
    no_write = narrowed(runtime, who.token, without=Scope.WRITE_BOOKINGS)
    for method, path, body in calls:
        assert_cms_error(await client.request(method, path, json=body), 401)
        narrow = no_read if method == "GET" else no_write
        assert_cms_error(await client.request(method, path, json=body, headers=narrow), 403)
    for method, path, body in calls[1:2] + calls[3:]:
        response = await client.request(method, path, json=body, headers=other.headers)
        assert_cms_error(response, 404)
    assert_cms_error(await client.get(f"{BOOKINGS}/99999999999999", headers=who.headers), 404)
    assert (await client.get(BOOKINGS, headers=other.headers)).json()["data"]["bookings"] == []


async def test_cancelling_inside_the_window_refunds_the_fee_and_after_it_keeps_it(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who = await driver(runtime, client, funds=10_000)
    charger = await bookable_charger(runtime)
    early = await book(client, who, charger, at=utcnow() + timedelta(hours=2))
    late = await book(client, who, charger, at=utcnow() + timedelta(minutes=20), minutes=30)
    assert await balance_minor(runtime, who.user) == 0
    refunded = await client.put(
        f"{BOOKINGS}/{early['id']}/cancel", json={"reason": "Plans changed"}, headers=who.headers
    )
    assert refunded.status_code == 200, refunded.text
    booking = refunded.json()["data"]["booking"]
    assert booking["status"] == "cancelled"
    assert booking["cancellationReason"] == "Plans changed"
    assert [log["event"] for log in booking["logs"]][-2:] == [
        "cancelled",
        "reservation-fee-refunded",
    ]
    assert await balance_minor(runtime, who.user) == 5_000
    kept = await client.put(
        f"{BOOKINGS}/{late['id']}/cancel", json={"reason": "Late"}, headers=who.headers
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["data"]["booking"]["logs"][-1]["event"] == "reservation-fee-kept"
    assert await balance_minor(runtime, who.user) == 5_000
    again = await client.put(
        f"{BOOKINGS}/{early['id']}/cancel", json={"reason": "Again"}, headers=who.headers
    )
    assert_cms_error(again, 409)
    assert await balance_minor(runtime, who.user) == 5_000
    async with runtime.sessionmaker() as session:
        refunds = (
            await session.scalars(select(WalletEntry).where(WalletEntry.kind == "refund"))
        ).all()
    assert [(r.type, r.amount_minor) for r in refunds] == [("credit", 5_000)]
    # The cancelled slot is free again.
    await book(client, who, charger, at=utcnow() + timedelta(hours=2))
    empty = await client.put(f"{BOOKINGS}/{early['id']}/cancel", json={}, headers=who.headers)
    assert assert_cms_error(empty, 422)["errors"][0]["field"] == "reason"  # type: ignore[index]


async def test_completing_without_a_session_takes_the_clients_figures_and_the_rating(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who = await driver(runtime, client)
    charger = await bookable_charger(runtime)  # 20 rupees per kWh
    later = await book(client, who, charger, at=utcnow() + timedelta(hours=1))
    early = await client.put(
        f"{BOOKINGS}/{later['id']}/complete", json={"energyConsumed": 10}, headers=who.headers
    )
    assert_cms_error(early, 400)  # its window has not begun
    booking = await book(client, who, charger, at=utcnow() + timedelta(minutes=10), minutes=30)
    url = f"{BOOKINGS}/{booking['id']}/complete"
    body = {
        "energyConsumed": 12.345,
        "finalSoC": 80,
        "rating": {"score": 4, "review": "Quick", "images": ["https://img.example/1.jpg"]},
    }
    done = await client.put(url, json=body, headers=who.headers)
    assert done.status_code == 200, done.text
    completed = done.json()["data"]["booking"]
    assert completed["status"] == "completed"
    assert completed["energyConsumed"] == 12.345
    assert completed["finalSoC"] == 80
    # The pricing engine's price: 12.345 kWh x 20 = 246.90 with GST in it (connector
    # prices include GST, docs/money.md); GST = 246.90 x 18/118 = 37.663 -> 37.66.
    assert completed["cost"] == {
        "energyCost": 209.24,
        "reservationFee": 50,
        "parkingFee": 0,
        "platformFee": 0,
        "discount": 0,
        "subtotal": 259.24,
        "gst": 37.66,
        "total": 296.9,
    }
    assert completed["rating"]["score"] == 4 and completed["rating"]["review"] == "Quick"
    assert completed["rating"]["images"] == ["https://img.example/1.jpg"]
    second = await driver(runtime, client)
    other = await book(client, second, charger, at=utcnow() + timedelta(minutes=5), minutes=5)
    rated = await client.put(
        f"{BOOKINGS}/{other['id']}/complete",
        json={"energyConsumed": 1, "rating": {"score": 1}},
        headers=second.headers,
    )
    assert rated.status_code == 200, rated.text
    # The ratings wait for moderation: the station's rating counts approved ones only.
    async with runtime.sessionmaker() as session:
        station = await session.get(Station, charger.station_id)
    assert station is not None and (station.rating, station.total_reviews) == (0, 0)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    listed = await client.get("/api/v1/admin/reviews?status=pending", headers=admin)
    reviews = listed.json()["data"]["reviews"]
    assert sorted(review["rating"] for review in reviews) == [1, 4]
    for review in reviews:
        moderated = await client.put(
            f"/api/v1/admin/reviews/{review['id']}/moderate",
            json={"status": "approved"},
            headers=admin,
        )
        assert moderated.status_code == 200, moderated.text
    async with runtime.sessionmaker() as session:
        station = await session.get(Station, charger.station_id)
    assert station is not None
    assert (station.rating, station.total_reviews) == (2.5, 2)
    twice = await client.put(url, json=body, headers=who.headers)
    assert_cms_error(twice, 409)
    bad = await client.put(
        f"{BOOKINGS}/{other['id']}/complete", json={"rating": {"score": 6}}, headers=who.headers
    )
    assert_cms_error(bad, 422)


async def test_a_replayed_idempotency_key_books_and_debits_once(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who = await driver(runtime, client)
    charger = await bookable_charger(runtime)
    body = booking_body(charger, who.vehicle, at=utcnow() + timedelta(hours=1))
    headers = who.headers | {"Idempotency-Key": "book-1"}
    first = await client.post(BOOKINGS, json=body, headers=headers)
    replay = await client.post(BOOKINGS, json=body, headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json() == first.json()
    other = await client.post(BOOKINGS, json=body | {"estimatedDuration": 30}, headers=headers)
    assert_cms_error(other, 422)
    assert await _bookings(runtime) == 1
    assert await balance_minor(runtime, who.user) == 95_000


async def test_the_list_filters_by_status_and_pages(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    who = await driver(runtime, client)
    charger = await bookable_charger(runtime)
    made = [
        await book(client, who, charger, at=utcnow() + timedelta(hours=h), minutes=30)
        for h in (1, 2, 3)
    ]
    await client.put(
        f"{BOOKINGS}/{made[0]['id']}/cancel", json={"reason": "x"}, headers=who.headers
    )
    confirmed = await client.get(f"{BOOKINGS}?status=confirmed&limit=1", headers=who.headers)
    assert [b["id"] for b in confirmed.json()["data"]["bookings"]] == [made[2]["id"]]
    assert confirmed.json()["pagination"]["total"] == 2
    cancelled = await client.get(f"{BOOKINGS}?status=cancelled", headers=who.headers)
    assert [b["id"] for b in cancelled.json()["data"]["bookings"]] == [made[0]["id"]]
    assert_cms_error(await client.get(f"{BOOKINGS}?status=lost", headers=who.headers), 422)
