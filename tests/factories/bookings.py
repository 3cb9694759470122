"""A workshop ready to take bookings, and steps that walk a booking through its states
over HTTP as its real users (customer, mechanic, admin)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User
from evcare.service.models import Address, MechanicProfile, Service, Timeslot, WorkStatus
from evcare.service.workshops import default_workshop_id
from tests.factories.identity import signed_in
from tests.factories.service import make_area, make_service, make_status, make_timeslot
from tests.factories.vehicles import make_vehicle


async def make_address(runtime: Runtime, owner: User, *, pincode: str = "600001") -> Address:
    async with runtime.sessionmaker() as session:
        address = Address(
            user_id=owner.id,
            label="home",
            line1="12 Anna Salai",
            city="Chennai",
            state="Tamil Nadu",
            pincode=pincode,
            is_default=True,
        )
        session.add(address)
        await session.commit()
        return address


async def work_status(runtime: Runtime, code: str, name: str, *, final: bool) -> WorkStatus:
    """The status master row (seeded by the migration until a test empties the tables)."""
    async with runtime.sessionmaker() as session:
        found = await session.scalar(select(WorkStatus).where(WorkStatus.code == code))
    return found or await make_status(runtime, code=code, name=name, final=final)


@dataclass
class Person:
    user: User
    headers: dict[str, str]

    @property
    def mec_id(self) -> str:
        return f"MEC{self.user.id:06d}"

    @property
    def cst_id(self) -> str:
        return f"CST{self.user.id:06d}"


@dataclass
class Workshop:
    customer: Person
    mechanic: Person
    admin: Person
    vehicle_id: int
    address_id: int
    services: list[Service]
    timeslot: Timeslot
    statuses: dict[str, WorkStatus]

    @property
    def day(self) -> str:
        """The default service date: two days ahead, so the 09:00 UTC slot has not begun
        (a slot that has begun cannot be booked) in any workshop time zone."""
        return (utcnow() + timedelta(days=2)).date().isoformat()

    def booking_body(self, **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "customer_id": self.customer.cst_id,
            "vehicle_id": self.vehicle_id,
            "pickup_type": "doorstep",
            "timeslot_id": self.timeslot.id,
            "service_date": self.day,
            "services": [{"service_id": s.id, "quantity": 1} for s in self.services],
            "notes": "Need quick turnaround",
        }
        body.update(overrides)
        return body


async def person(runtime: Runtime, client: httpx.AsyncClient, role: Role) -> Person:
    user, headers = await signed_in(runtime, client, role)
    return Person(user, headers)


async def make_workshop(
    runtime: Runtime, client: httpx.AsyncClient, *, capacity: int = 3
) -> Workshop:
    customer = await person(runtime, client, Role.USER)
    mechanic = await person(runtime, client, Role.MECHANIC)
    admin = await person(runtime, client, Role.ADMIN)
    # The mechanic can take as many jobs of a slot as the slot has places.
    async with runtime.sessionmaker() as session:
        session.add(
            MechanicProfile(
                user_id=mechanic.user.id,
                workshop_id=await default_workshop_id(session),
                jobs_per_slot=max(capacity, 1),
            )
        )
        await session.commit()
    await make_area(runtime, pincode="600001")
    address = await make_address(runtime, customer.user)
    vehicle = await make_vehicle(runtime, customer.user)
    services = [
        await make_service(runtime, name="Battery health check", price_minor=100_000),
        await make_service(runtime, name="Brake pad replacement", price_minor=250_050),
    ]
    statuses = {
        "vehicle-picked-up": await work_status(
            runtime, "vehicle-picked-up", "Vehicle picked up", final=False
        ),
        "inspection": await work_status(runtime, "inspection", "Inspection", final=False),
        "in-progress": await work_status(runtime, "in-progress", "In progress", final=False),
        "waiting-for-parts": await work_status(
            runtime, "waiting-for-parts", "Waiting for parts", final=False
        ),
        "completed": await work_status(runtime, "completed", "Completed", final=True),
        "cancelled": await work_status(runtime, "cancelled", "Cancelled", final=True),
    }
    return Workshop(
        customer=customer,
        mechanic=mechanic,
        admin=admin,
        vehicle_id=vehicle.id,
        address_id=address.id,
        services=services,
        timeslot=await make_timeslot(runtime, capacity=capacity),
        statuses=statuses,
    )


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def book(client: httpx.AsyncClient, shop: Workshop, **overrides: Any) -> dict[str, Any]:
    body = shop.booking_body(**overrides)
    result: dict[str, Any] = ok(
        await client.post("/bookings/", json=body, headers=shop.customer.headers), 201
    )
    return result


async def assign(client: httpx.AsyncClient, shop: Workshop, booking_id: int) -> Any:
    body = {"booking_id": booking_id, "mechanic_id": shop.mechanic.mec_id}
    return ok(await client.post("/bookings/admin/assign", json=body, headers=shop.admin.headers))


async def analyse(
    client: httpx.AsyncClient, shop: Workshop, booking_id: int, costs: tuple[str, ...]
) -> Any:
    body = {
        "booking_id": booking_id,
        "summary": "Pads worn; battery fine",
        "items": [
            {"service_id": s.id, "estimated_cost": cost, "estimated_time_minutes": 45}
            for s, cost in zip(shop.services, costs, strict=True)
        ],
    }
    return ok(
        await client.post("/bookings/mechanic/analysis", json=body, headers=shop.mechanic.headers),
        201,
    )


async def approve(client: httpx.AsyncClient, shop: Workshop, booking_id: int) -> Any:
    return ok(
        await client.post(
            f"/bookings/admin/analysis/{booking_id}/validate", headers=shop.admin.headers
        )
    )


async def confirm(
    client: httpx.AsyncClient,
    shop: Workshop,
    booking_id: int,
    *,
    payment_mode: str = "cod",
    declined: list[int] | None = None,
) -> Any:
    body = {"payment_mode": payment_mode, "declined_service_ids": declined or []}
    return ok(
        await client.put(
            f"/bookings/{booking_id}/confirm-services", json=body, headers=shop.customer.headers
        )
    )


async def report(
    client: httpx.AsyncClient, shop: Workshop, booking_id: int, service_id: int, status: str
) -> Any:
    body = {
        "booking_id": booking_id,
        "service_id": service_id,
        "status_id": shop.statuses[status].id,
        "notes": f"{status} reported",
    }
    return ok(
        await client.post("/bookings/mechanic/progress", json=body, headers=shop.mechanic.headers),
        201,
    )


async def validate(client: httpx.AsyncClient, shop: Workshop, progress_id: int) -> Any:
    return ok(
        await client.post(
            f"/bookings/admin/progress/{progress_id}/validate", headers=shop.admin.headers
        )
    )


async def completed_booking(
    client: httpx.AsyncClient, shop: Workshop, *, payment_mode: str = "online"
) -> dict[str, Any]:
    """A booking of both services, analysed at 1,000.00 + 2,000.00, all done."""
    booking = await book(client, shop)
    booking_id = booking["id"]
    await assign(client, shop, booking_id)
    await analyse(client, shop, booking_id, ("1000", "2000"))
    await approve(client, shop, booking_id)
    await confirm(client, shop, booking_id, payment_mode=payment_mode)
    for service in shop.services:
        progress = await report(client, shop, booking_id, service.id, "completed")
        await validate(client, shop, progress["id"])
    detail: dict[str, Any] = ok(
        await client.get(f"/bookings/{booking_id}", headers=shop.customer.headers)
    )
    assert detail["status"] == "completed", detail
    return detail
