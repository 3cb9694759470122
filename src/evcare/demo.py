"""Demo data: an admin, a brand, a mechanic and customers; loading it twice changes nothing.

Each context adds its own demo records here as it lands (stations, chargers, services).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.security import Credentials
from evcare.identity import repository as users
from evcare.identity.models import Role, User


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


async def load_demo(session: AsyncSession, credentials: Credentials) -> list[str]:
    """Load every demo record; returns a line for each thing created."""
    created: list[str] = []
    for login in DEMO_LOGINS:
        _, is_new = await ensure_user(session, credentials, login)
        if is_new:
            created.append(f"{login.role} {login.email}")
    return created
