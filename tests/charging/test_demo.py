"""The demo charging network: four chargers the simulator can sign in with, loaded once."""

from __future__ import annotations

from sqlalchemy import func, select

from evcare.billing import wallet_repository
from evcare.charging.chargers.models import Charger
from evcare.charging.sessions import id_tag_repository, id_tags
from evcare.charging.stations.models import Connector, Station
from evcare.core.runtime import Runtime
from evcare.core.security import generated_secret_matches
from evcare.demo import DEMO_CHARGER_PASSWORD, DEMO_WALLET_CREDIT, load_demo
from evcare.identity import repository as users
from evcare.simulator.defaults import DEMO_ID_TAG


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


async def test_demo_driver_keeps_their_card_and_gets_the_opening_credit_once(
    runtime: Runtime,
) -> None:
    for _ in range(2):
        async with runtime.sessionmaker() as session:
            await load_demo(session, runtime.credentials)
            await session.commit()
    async with runtime.sessionmaker() as session:
        driver = await users.get_user_by_login(session, "driver@evcare.dev")
        assert driver is not None
        card = await id_tag_repository.get_id_tag(session, DEMO_ID_TAG)
        held = await wallet_repository.wallet_of(session, driver.id)
        answer = await id_tags.authorize(session, token=DEMO_ID_TAG, secret=None)
    assert card is not None and card[1].id == driver.id
    assert held is not None and held.balance_minor == DEMO_WALLET_CREDIT.amount_minor
    assert answer.status == "Accepted"
