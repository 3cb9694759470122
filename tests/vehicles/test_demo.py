"""The demo driver and customer each get a car, once however often the demo loads."""

from __future__ import annotations

from sqlalchemy import select

from evcare.core.runtime import Runtime
from evcare.demo import load_demo
from evcare.identity.models import User
from evcare.vehicles.models import Vehicle


async def test_demo_gives_the_driver_and_customer_one_default_car_each(runtime: Runtime) -> None:
    for _ in range(2):
        async with runtime.sessionmaker() as session:
            await load_demo(session, runtime.credentials)
            await session.commit()
    async with runtime.sessionmaker() as session:
        rows = (
            await session.execute(
                select(User.email, Vehicle.registration_number, Vehicle.is_default).join(
                    Vehicle, Vehicle.owner_id == User.id
                )
            )
        ).all()
    assert sorted(rows) == [
        ("customer@evcare.dev", "KA03NB2024", True),
        ("driver@evcare.dev", "KL07CU4567", True),
    ]
