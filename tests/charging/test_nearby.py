"""The nearby search against a brute-force answer, and the bounding box it scans."""

from __future__ import annotations

import random
import uuid

import pytest

from evcare.charging.stations import service as charging
from evcare.charging.stations.repository import BoundingBox, haversine_m
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.identity.principal import Principal
from tests.factories.charging import make_station
from tests.factories.identity import make_user


def driver() -> Principal:
    return Principal(user_id=0, role=Role.USER, scopes=frozenset(), session_id=uuid.uuid4())


async def test_nearby_matches_a_brute_force_search_over_random_stations(
    runtime: Runtime,
) -> None:
    owner = await make_user(runtime, role=Role.BRAND)
    rng = random.Random(7)
    centre = (28.6139, 77.2090)
    points = [
        (centre[0] + rng.uniform(-0.08, 0.08), centre[1] + rng.uniform(-0.08, 0.08))
        for _ in range(150)
    ]
    ids = [
        (await make_station(runtime, owner, latitude=lat, longitude=lng)).id for lat, lng in points
    ]
    expected = sorted(
        (haversine_m(*centre, lat, lng), key) for key, (lat, lng) in zip(ids, points, strict=True)
    )
    async with runtime.sessionmaker() as session:
        for radius, limit in ((5000, 50), (3000, 10), (1000, 50)):
            found = await charging.find_nearby_stations(
                session,
                driver(),
                latitude=centre[0],
                longitude=centre[1],
                radius_m=radius,
                limit=limit,
            )
            want = [key for metres, key in expected if metres <= radius][:limit]
            assert [item.station.id for item in found] == want
            for item in found:
                lat, lng = points[ids.index(item.station.id)]
                assert item.distance_m == pytest.approx(haversine_m(*centre, lat, lng))


async def test_nearby_finds_stations_across_the_antimeridian(runtime: Runtime) -> None:
    owner = await make_user(runtime, role=Role.BRAND)
    east = await make_station(runtime, owner, latitude=-16.5, longitude=179.99)
    west = await make_station(runtime, owner, latitude=-16.5, longitude=-179.99)
    async with runtime.sessionmaker() as session:
        found = await charging.find_nearby_stations(
            session, driver(), latitude=-16.5, longitude=179.999, radius_m=5000
        )
    assert [item.station.id for item in found] == [east.id, west.id]


def test_bounding_box_holds_the_whole_circle() -> None:
    box = BoundingBox.around(12.97, 77.59, 5000)
    for bearing_lat, bearing_lng in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        lat = 12.97 + bearing_lat * (box.max_lat - 12.97)
        lng = 77.59 + bearing_lng * (box.max_lng - 77.59)
        assert haversine_m(12.97, 77.59, lat, lng) >= 4999
    assert box.min_lat < 12.97 < box.max_lat and box.min_lng < 77.59 < box.max_lng


def test_bounding_box_near_a_pole_spans_every_longitude() -> None:
    box = BoundingBox.around(89.99999999, 0.0, 5000)
    assert box.max_lat == 90.0
    assert box.max_lng - box.min_lng == 360.0


async def test_a_dense_cluster_answers_from_the_first_small_ring_exactly(runtime: Runtime) -> None:
    owner = await make_user(runtime, role=Role.BRAND)
    rng = random.Random(11)
    centre = (19.0760, 72.8777)
    # 70 stations within ~200 m, 30 more between 1 and 4 km away.
    points = [
        (centre[0] + rng.uniform(-0.0018, 0.0018), centre[1] + rng.uniform(-0.0018, 0.0018))
        for _ in range(70)
    ] + [(centre[0] + rng.choice((-1, 1)) * rng.uniform(0.01, 0.035), centre[1]) for _ in range(30)]
    ids = [
        (await make_station(runtime, owner, latitude=lat, longitude=lng)).id for lat, lng in points
    ]
    expected = sorted(
        (haversine_m(*centre, lat, lng), key) for key, (lat, lng) in zip(ids, points, strict=True)
    )
    async with runtime.sessionmaker() as session:
        found = await charging.find_nearby_stations(
            session, driver(), latitude=centre[0], longitude=centre[1], radius_m=5000, limit=50
        )
        few = await charging.find_nearby_stations(
            session, driver(), latitude=centre[0] + 0.02, longitude=centre[1], limit=50
        )
    assert [item.station.id for item in found] == [key for _, key in expected[:50]]
    far = sorted(
        (haversine_m(centre[0] + 0.02, centre[1], lat, lng), key)
        for key, (lat, lng) in zip(ids, points, strict=True)
    )
    assert [item.station.id for item in few] == [key for m, key in far if m <= 5000][:50]
