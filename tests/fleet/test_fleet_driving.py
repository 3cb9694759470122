"""An assigned driver may book a connector with a fleet vehicle on EV-CMS (as they may
charge it); a fleet vehicle they are not assigned to is not found."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from evcare.core.clock import utcnow
from evcare.core.public_ids import ACCOUNT_ID
from evcare.core.runtime import Runtime
from evcare.identity.models import AccountRole, Organization, OrganizationMember
from tests.factories.connector_bookings import BOOKINGS, bookable_charger, booking_body, driver
from tests.factories.fleet import add_vehicle, fleet_token


async def test_an_assigned_driver_books_a_connector_for_a_fleet_vehicle(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created, fleet = await fleet_token(client, runtime)
    assigned = await add_vehicle(client, fleet)
    unassigned = await add_vehicle(client, fleet)
    who = await driver(runtime, client)
    async with runtime.sessionmaker() as session:
        organization = await session.scalar(
            select(Organization).where(Organization.id == created["integration"]["organizationId"])
        )
        assert organization is not None
        member = OrganizationMember(
            id=ACCOUNT_ID.new(),
            organization_id=organization.id,
            user_id=who.user.id,
            role=AccountRole.DRIVER,
            created_at=utcnow(),
        )
        session.add(member)
        await session.commit()
    put = await client.put(
        f"/v1/fleet/drivers/{member.id}/vehicles",
        headers=fleet,
        json={"vehicleIds": [assigned["id"]]},
    )
    assert put.status_code == 200, put.text
    charger = await bookable_charger(runtime)
    at = utcnow() + timedelta(hours=2)
    body = booking_body(charger, who.vehicle, at=at)
    refused = await client.post(
        BOOKINGS, json={**body, "vehicleId": unassigned["id"][3:].lstrip("0")}, headers=who.headers
    )
    assert refused.status_code == 404, refused.text
    booked = await client.post(
        BOOKINGS, json={**body, "vehicleId": assigned["id"][3:].lstrip("0")}, headers=who.headers
    )
    assert booked.status_code == 201, booked.text
