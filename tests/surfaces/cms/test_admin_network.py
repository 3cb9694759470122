"""EV-CMS /api/v1/admin stations, bookings and reviews: verification, soft delete,
every booking, moderation that decides a station's rating."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.charging import make_station
from tests.factories.connector_bookings import BOOKINGS, book, driver
from tests.factories.identity import make_user, signed_in
from tests.factories.ocpp import make_charger
from tests.surfaces.cms.test_auth import assert_cms_error
from tests.surfaces.cms.test_stations import NEW_STATION, STATION_FIELDS

ADMIN = "/api/v1/admin"
ROUTES = [
    ("GET", f"{ADMIN}/stations"),
    ("PUT", f"{ADMIN}/stations/1/verify"),
    ("DELETE", f"{ADMIN}/stations/1"),
    ("PATCH", f"{ADMIN}/stations/1/restore"),
    ("GET", f"{ADMIN}/bookings"),
    ("GET", f"{ADMIN}/reviews"),
    ("PUT", f"{ADMIN}/reviews/1/moderate"),
]
ADMIN_STATION_FIELDS = STATION_FIELDS | {
    "isVerified",
    "verificationNotes",
    "verifiedAt",
    "deletedAt",
}
REVIEW_FIELDS = {
    "id",
    "stationId",
    "userId",
    "bookingId",
    "rating",
    "review",
    "images",
    "status",
    "moderationReason",
    "moderatedAt",
    "createdAt",
}


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_admin_network_route_refuses_anonymous_callers(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    assert_cms_error(await client.request(method, path, json={}), 401)


@pytest.mark.parametrize("role", [Role.USER, Role.BRAND])
@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_admin_network_route_refuses_non_admins(
    runtime: Runtime, client: httpx.AsyncClient, role: Role, method: str, path: str
) -> None:
    _, headers = await signed_in(runtime, client, role)
    body = {"verified": True, "status": "approved"}
    assert_cms_error(await client.request(method, path, json=body, headers=headers), 403)


async def test_a_brands_new_station_is_listed_to_drivers_once_an_admin_verifies_it(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, brand = await signed_in(runtime, client, Role.BRAND)
    _, driver_headers = await signed_in(runtime, client, Role.USER)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    created = await client.post("/api/v1/stations", json=NEW_STATION, headers=brand)
    assert created.status_code == 201, created.text
    station_id = created.json()["data"]["station"]["id"]
    nearby = "/api/v1/stations/nearby?latitude=12.9352&longitude=77.6245"

    async def seen_by_driver() -> bool:
        listed = await client.get("/api/v1/stations", headers=driver_headers)
        near = await client.get(nearby, headers=driver_headers)
        one = await client.get(f"/api/v1/stations/{station_id}", headers=driver_headers)
        ids = [s["id"] for s in listed.json()["data"]["stations"]]
        near_ids = [s["id"] for s in near.json()["data"]["stations"]]
        assert (station_id in ids) == (station_id in near_ids) == (one.status_code == 200)
        return station_id in ids

    assert not await seen_by_driver()
    # Its owner still sees and manages it.
    assert (await client.get(f"/api/v1/stations/{station_id}", headers=brand)).status_code == 200
    unverified = await client.get(f"{ADMIN}/stations?verified=false", headers=admin)
    assert [s["id"] for s in unverified.json()["data"]["stations"]] == [station_id]
    verified = await client.put(
        f"{ADMIN}/stations/{station_id}/verify",
        json={"verified": True, "notes": "Site visit 2026-11-20"},
        headers=admin,
    )
    assert verified.status_code == 200, verified.text
    shown = verified.json()["data"]["station"]
    assert set(shown) == ADMIN_STATION_FIELDS
    assert (shown["isVerified"], shown["verificationNotes"]) == (True, "Site visit 2026-11-20")
    assert shown["verifiedAt"] is not None
    assert await seen_by_driver()
    withdrawn = await client.put(
        f"{ADMIN}/stations/{station_id}/verify", json={"verified": False}, headers=admin
    )
    assert withdrawn.json()["data"]["station"]["verifiedAt"] is None
    assert not await seen_by_driver()


async def test_an_admins_own_new_station_is_verified_at_once(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    created = await client.post("/api/v1/stations", json=NEW_STATION, headers=admin)
    assert created.status_code == 201, created.text
    listed = await client.get(f"{ADMIN}/stations?verified=true", headers=admin)
    assert [s["id"] for s in listed.json()["data"]["stations"]] == [
        created.json()["data"]["station"]["id"]
    ]


async def test_admin_lists_deleted_stations_and_restores_them(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    owner = await make_user(runtime, role=Role.BRAND)
    live = await make_station(runtime, owner, name="Live")
    gone = await make_station(runtime, owner, name="Gone")
    quiet = await make_station(runtime, owner, name="Quiet", status="maintenance")
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    deleted = await client.delete(f"{ADMIN}/stations/{gone.id}", headers=admin)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["data"] == {"success": True}
    everything = await client.get(f"{ADMIN}/stations", headers=admin)
    body = everything.json()
    assert [s["name"] for s in body["data"]["stations"]] == ["Live", "Gone", "Quiet"]
    assert body["pagination"]["total"] == 3
    only_deleted = await client.get(f"{ADMIN}/stations?deleted=true", headers=admin)
    assert [s["id"] for s in only_deleted.json()["data"]["stations"]] == [str(gone.id)]
    assert only_deleted.json()["data"]["stations"][0]["deletedAt"] is not None
    only_live = await client.get(f"{ADMIN}/stations?deleted=false&status=active", headers=admin)
    assert [s["id"] for s in only_live.json()["data"]["stations"]] == [str(live.id)]
    maintenance = await client.get(f"{ADMIN}/stations?status=maintenance", headers=admin)
    assert [s["id"] for s in maintenance.json()["data"]["stations"]] == [str(quiet.id)]
    assert_cms_error(await client.delete(f"{ADMIN}/stations/{gone.id}", headers=admin), 404)
    restored = await client.patch(f"{ADMIN}/stations/{gone.id}/restore", headers=admin)
    assert restored.status_code == 200, restored.text
    assert restored.json()["data"]["station"]["deletedAt"] is None


async def test_station_routes_answer_404_and_422(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    assert_cms_error(
        await client.put(f"{ADMIN}/stations/999999/verify", json={"verified": True}, headers=admin),
        404,
    )
    assert_cms_error(await client.delete(f"{ADMIN}/stations/999999", headers=admin), 404)
    assert_cms_error(await client.patch(f"{ADMIN}/stations/999999/restore", headers=admin), 404)
    owner = await make_user(runtime, role=Role.BRAND)
    station = await make_station(runtime, owner)
    url = f"{ADMIN}/stations/{station.id}/verify"
    for body in ({}, {"verified": "yes"}, {"verified": True, "notes": "x" * 2001}):
        assert_cms_error(await client.put(url, json=body, headers=admin), 422)
    for query in ("status=closed", "verified=maybe", "limit=500"):
        assert_cms_error(await client.get(f"{ADMIN}/stations?{query}", headers=admin), 422)


async def test_admin_lists_every_drivers_bookings_with_filters(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger = await make_charger(runtime)
    other = await make_charger(runtime)
    first, second = await driver(runtime, client), await driver(runtime, client)
    soon = utcnow() + timedelta(hours=2)
    mine = await book(client, first, charger, at=soon)
    theirs = await book(client, second, other, at=soon + timedelta(hours=1))
    cancelled = await client.put(
        f"{BOOKINGS}/{mine['id']}/cancel", json={"reason": "Plans changed"}, headers=first.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    every = await client.get(f"{ADMIN}/bookings", headers=admin)
    assert every.status_code == 200, every.text
    listed = every.json()["data"]["bookings"]
    assert [b["id"] for b in listed] == [theirs["id"], mine["id"]]
    assert set(listed[0]) == set(theirs)
    by_status = await client.get(f"{ADMIN}/bookings?status=cancelled", headers=admin)
    assert [b["id"] for b in by_status.json()["data"]["bookings"]] == [mine["id"]]
    by_station = await client.get(f"{ADMIN}/bookings?stationId={other.station_id}", headers=admin)
    assert [b["id"] for b in by_station.json()["data"]["bookings"]] == [theirs["id"]]
    by_user = await client.get(f"{ADMIN}/bookings?userId={first.user.id}", headers=admin)
    assert [b["id"] for b in by_user.json()["data"]["bookings"]] == [mine["id"]]
    until = (soon + timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    early = await client.get(f"{ADMIN}/bookings", params={"to": until}, headers=admin)
    assert [b["id"] for b in early.json()["data"]["bookings"]] == [mine["id"]]
    for query in ("status=lost", "stationId=x", "from=yesterday", "limit=0"):
        assert_cms_error(await client.get(f"{ADMIN}/bookings?{query}", headers=admin), 422)
    # A driver's own list is still theirs alone.
    own = await client.get(BOOKINGS, headers=second.headers)
    assert [b["id"] for b in own.json()["data"]["bookings"]] == [theirs["id"]]


async def test_moderation_decides_which_reviews_count_in_the_stations_rating(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger = await make_charger(runtime)
    for score, text in ((5, "Fast and clean"), (2, "Spam spam"), (4, None)):
        who = await driver(runtime, client)
        booking = await book(client, who, charger, at=utcnow() + timedelta(minutes=5), minutes=5)
        rating = {"score": score} | ({"review": text} if text else {})
        done = await client.put(
            f"{BOOKINGS}/{booking['id']}/complete",
            json={"energyConsumed": 1, "rating": rating},
            headers=who.headers,
        )
        assert done.status_code == 200, done.text
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    station_url = f"/api/v1/stations/{charger.station_id}"
    listed = await client.get(f"{ADMIN}/reviews", headers=admin)
    assert listed.status_code == 200, listed.text
    reviews = listed.json()["data"]["reviews"]
    assert [r["rating"] for r in reviews] == [4, 2, 5]  # newest first
    assert set(reviews[0]) == REVIEW_FIELDS
    assert {r["status"] for r in reviews} == {"pending"}
    by_rating = await client.get(f"{ADMIN}/reviews?rating=2", headers=admin)
    spam = by_rating.json()["data"]["reviews"]
    assert [(r["rating"], r["review"]) for r in spam] == [(2, "Spam spam")]

    async def station_rating() -> tuple[float, int]:
        shown = (await client.get(station_url, headers=admin)).json()["data"]["station"]
        return shown["rating"], shown["totalReviews"]

    assert await station_rating() == (0, 0)
    for review in reviews:
        approved = await client.put(
            f"{ADMIN}/reviews/{review['id']}/moderate", json={"status": "approved"}, headers=admin
        )
        assert approved.status_code == 200, approved.text
    assert await station_rating() == (pytest.approx(11 / 3), 3)
    rejected = await client.put(
        f"{ADMIN}/reviews/{spam[0]['id']}/moderate",
        json={"status": "rejected", "reason": "Not about the station"},
        headers=admin,
    )
    assert rejected.status_code == 200, rejected.text
    shown = rejected.json()["data"]["review"]
    assert (shown["status"], shown["moderationReason"]) == ("rejected", "Not about the station")
    assert shown["moderatedAt"] is not None
    assert await station_rating() == (4.5, 2)
    pending = await client.get(f"{ADMIN}/reviews?status=pending", headers=admin)
    assert pending.json()["data"]["reviews"] == []


async def test_review_routes_answer_404_and_422(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    url = f"{ADMIN}/reviews/999999/moderate"
    assert_cms_error(await client.put(url, json={"status": "approved"}, headers=admin), 404)
    for body in ({}, {"status": "pending"}, {"status": "approved", "reason": ""}):
        assert_cms_error(await client.put(url, json=body, headers=admin), 422)
    for query in ("rating=6", "rating=0", "status=hidden"):
        assert_cms_error(await client.get(f"{ADMIN}/reviews?{query}", headers=admin), 422)
