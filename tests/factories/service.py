"""Workshop catalogue rows for tests: categories, services, areas, timeslots, statuses."""

from __future__ import annotations

import itertools
from datetime import time

from evcare.core.runtime import Runtime
from evcare.service import workshops
from evcare.service.models import Service, ServiceArea, ServiceCategory, Timeslot, WorkStatus

_counter = itertools.count(1)


async def make_category(runtime: Runtime, *, name: str | None = None) -> ServiceCategory:
    async with runtime.sessionmaker() as session:
        category = ServiceCategory(name=name or f"Category {next(_counter)}", description="")
        session.add(category)
        await session.commit()
        return category


async def make_service(
    runtime: Runtime,
    *,
    category_id: int | None = None,
    name: str | None = None,
    price_minor: int = 149_900,
    duration_minutes: int = 60,
    is_active: bool = True,
    workshop_id: str | None = None,
) -> Service:
    """A service of ``workshop_id`` (the default workshop, as RevCare's are, when None)."""
    if category_id is None:
        category_id = (await make_category(runtime)).id
    async with runtime.sessionmaker() as session:
        service = Service(
            workshop_id=workshop_id or await workshops.default_workshop_id(session),
            category_id=category_id,
            name=name or f"Service {next(_counter)}",
            description="",
            price_minor=price_minor,
            currency="INR",
            duration_minutes=duration_minutes,
            is_active=is_active,
        )
        session.add(service)
        await session.commit()
        return service


async def make_area(
    runtime: Runtime, *, pincode: str = "600001", city: str = "Chennai", is_active: bool = True
) -> ServiceArea:
    async with runtime.sessionmaker() as session:
        area = ServiceArea(name=f"Area {pincode}", city=city, pincode=pincode, is_active=is_active)
        session.add(area)
        await session.commit()
        return area


async def make_timeslot(
    runtime: Runtime,
    *,
    start: time = time(9, 0),
    end: time = time(11, 0),
    capacity: int = 3,
    is_active: bool = True,
) -> Timeslot:
    async with runtime.sessionmaker() as session:
        slot = Timeslot(start_time=start, end_time=end, capacity=capacity, is_active=is_active)
        session.add(slot)
        await session.commit()
        return slot


async def make_status(
    runtime: Runtime, *, code: str = "in-progress", name: str = "In progress", final: bool = False
) -> WorkStatus:
    async with runtime.sessionmaker() as session:
        status = WorkStatus(code=code, name=name, description="", sort_order=0, is_final=final)
        session.add(status)
        await session.commit()
        return status
