"""Demo data: an admin, a brand, a mechanic and customers; loading it twice changes nothing.

Each context adds its own demo records here as it lands (stations, chargers, services).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.security import Credentials
from evcare.identity import repository as users
from evcare.identity.models import Role, User
from evcare.identity.principal import Principal
from evcare.identity.scopes import scopes_for
from evcare.vehicles import service as vehicles


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    phone: str
    password: str
    first_name: str
    last_name: str


DEMO_PASSWORD = "Password@123"  # published demo credentials

DEMO_LOGINS = (
    DemoLogin("admin", "admin@evcare.dev", "9000000001", DEMO_PASSWORD, "Akhil", "Joseph"),
    DemoLogin("brand", "brand@evcare.dev", "9000000002", DEMO_PASSWORD, "Volt", "Networks"),
    DemoLogin("mechanic", "mechanic@evcare.dev", "9000000003", DEMO_PASSWORD, "Ravi", "Kumar"),
    DemoLogin("user", "driver@evcare.dev", "9841385379", DEMO_PASSWORD, "Asha", "Menon"),
    DemoLogin("user", "customer@evcare.dev", "9000000005", DEMO_PASSWORD, "Jon", "Mathew"),
)

# One car each for the demo driver and customer: (email, make, model, year, kWh, plate).
DEMO_VEHICLES = (
    ("driver@evcare.dev", "Tata Motors", "Nexon EV", 2024, Decimal("40.50"), "KL07CU4567"),
    ("customer@evcare.dev", "MG Motor", "ZS EV", 2023, Decimal("50.30"), "KA03NB2024"),
)


async def ensure_user(
    session: AsyncSession, credentials: Credentials, login: DemoLogin
) -> tuple[User, bool]:
    """The demo account for ``login``, created if missing; (user, created)."""
    existing = await users.get_user_by_login(session, login.email)
    if existing is not None:
        return existing, False
    user = User(
        email=login.email,
        phone=login.phone,
        first_name=login.first_name,
        last_name=login.last_name,
        role=Role(login.role),
        password_hash=credentials.passwords.hash(login.password),
        is_email_verified=True,
    )
    session.add(user)
    await session.flush()
    return user, True


async def ensure_vehicle(
    session: AsyncSession,
    owner: User,
    *,
    make: str,
    model: str,
    year: int,
    battery_capacity_kwh: Decimal,
    registration_number: str,
) -> bool:
    """The demo car with this plate, added for ``owner`` if missing; True when added."""
    if await vehicles.find_by_registration(session, registration_number=registration_number):
        return False
    acting = Principal(
        user_id=owner.id, role=owner.role, scopes=scopes_for(owner.role), session_id=uuid.uuid4()
    )
    await vehicles.add_vehicle(
        session,
        acting,
        make=make,
        model=model,
        year=year,
        battery_capacity_kwh=battery_capacity_kwh,
        registration_number=registration_number,
    )
    return True


async def load_demo(session: AsyncSession, credentials: Credentials) -> list[str]:
    """Load every demo record; returns a line for each thing created."""
    created: list[str] = []
    for login in DEMO_LOGINS:
        _, is_new = await ensure_user(session, credentials, login)
        if is_new:
            created.append(f"{login.role} {login.email}")
    for email, make, model, year, kwh, plate in DEMO_VEHICLES:
        owner = await users.get_user_by_login(session, email)
        if owner is not None and await ensure_vehicle(
            session,
            owner,
            make=make,
            model=model,
            year=year,
            battery_capacity_kwh=kwh,
            registration_number=plate,
        ):
            created.append(f"vehicle {plate} for {email}")
    return created
