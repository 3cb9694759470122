"""Workshops (organizations of kind ``workshop``), fleets signed in through the hub, and
fleet vehicles (a ``vehicle`` row of the fleet's organization) for tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from evcare.core.runtime import Runtime
from evcare.identity import organizations
from evcare.identity.models import Organization, OrganizationKind, OrganizationStatus
from evcare.integrations.models import Integration
from evcare.vehicles.models import Vehicle
from tests.factories.identity import bearer
from tests.factories.integrations import admin_headers, client_token, create_integration
from tests.factories.service import make_service

_counter = itertools.count(1)


async def make_workshop_org(
    runtime: Runtime,
    *,
    name: str | None = None,
    status: OrganizationStatus = OrganizationStatus.ACTIVE,
) -> Organization:
    async with runtime.sessionmaker() as session:
        workshop = await organizations.create_organization(
            session,
            name=name or f"Workshop {next(_counter)}",
            kind=OrganizationKind.WORKSHOP,
            status=status,
        )
        await session.commit()
        return workshop


async def workshop_with_services(
    runtime: Runtime, *, name: str | None = None, services: int = 2
) -> tuple[Organization, list[int]]:
    """A workshop and the ids of the services it offers."""
    workshop = await make_workshop_org(runtime, name=name)
    made = [
        await make_service(runtime, workshop_id=workshop.id, name=f"{workshop.name} job {n}")
        for n in range(services)
    ]
    return workshop, [service.id for service in made]


@dataclass
class Fleet:
    """A fleet's integration (FLEET_MANAGER_ACCESS) and its client-credentials token."""

    created: dict[str, Any]
    headers: dict[str, str]
    organization_id: str
    service_user_id: int

    @property
    def integration_id(self) -> str:
        value: str = self.created["integration"]["id"]
        return value

    def keyed(self, key: str | None = None) -> dict[str, str]:
        return {**self.headers, "Idempotency-Key": key or f"key-{next(_counter)}"}


async def make_fleet(
    runtime: Runtime, client: httpx.AsyncClient, *, bundles: list[str] | None = None
) -> Fleet:
    created = await create_integration(
        client,
        await admin_headers(runtime, client),
        bundles=bundles or ["FLEET_MANAGER_ACCESS"],
        organizationName=f"Fleet {next(_counter)}",
    )
    headers = bearer(await client_token(client, created["credentials"]))
    async with runtime.sessionmaker() as session:
        integration = await session.scalar(
            select(Integration).where(Integration.id == created["integration"]["id"])
        )
    assert integration is not None
    return Fleet(created, headers, integration.organization_id, integration.service_user_id)


async def make_fleet_vehicle(
    runtime: Runtime, organization_id: str, *, owner_id: int, registration: str | None = None
) -> Vehicle:
    """The fleet's vehicle as /v1/fleet/vehicles makes it: one ``vehicle`` row, owned by
    the organization (``organization_id``) and registered under ``owner_id``."""
    async with runtime.sessionmaker() as session:
        vehicle = Vehicle(
            owner_id=owner_id,
            organization_id=organization_id,
            make="Tata",
            model="Nexon EV",
            year=2024,
            registration_number=registration or f"FL01EV{next(_counter):04d}",
        )
        session.add(vehicle)
        await session.commit()
        return vehicle


async def fleet_with_vehicle(runtime: Runtime, client: httpx.AsyncClient) -> tuple[Fleet, int]:
    fleet = await make_fleet(runtime, client)
    vehicle = await make_fleet_vehicle(
        runtime, fleet.organization_id, owner_id=fleet.service_user_id
    )
    return fleet, vehicle.id
