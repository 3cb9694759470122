"""The demo charging network: four chargers the simulator can sign in with, loaded once."""

from __future__ import annotations

from sqlalchemy import func, select

from evcare.charging.chargers.models import Charger
from evcare.charging.stations.models import Connector, Station
from evcare.core.runtime import Runtime
from evcare.core.security import generated_secret_matches
from evcare.demo import DEMO_CHARGER_PASSWORD, load_demo


async def test_demo_brand_gets_stations_and_chargers_with_the_published_password(
    runtime: Runtime,
) -> None:
    for _ in range(2):
        async with runtime.sessionmaker() as session:
            await load_demo(session, runtime.credentials)
            await session.commit()
    async with runtime.sessionmaker() as session:
        chargers = (await session.scalars(select(Charger).order_by(Charger.id))).all()
        stations = await session.scalar(select(func.count(Station.id)))
        outlets = await session.scalar(select(func.count(Connector.id)))
    assert [c.charge_point_id for c in chargers] == [f"EVC-DEMO-00{n}" for n in range(1, 5)]
    assert stations == 3 and outlets == 7
    for charger in chargers:
        assert generated_secret_matches(charger.password_hash, DEMO_CHARGER_PASSWORD)
