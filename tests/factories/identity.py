"""Users and sign-ins for tests."""

from __future__ import annotations

import itertools

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User

PASSWORD = "Password@123"
_counter = itertools.count(1)


async def make_user(
    runtime: Runtime,
    *,
    role: Role | str = Role.USER,
    email: str | None = None,
    phone: str | None = None,
    password: str | None = PASSWORD,
    first_name: str = "Test",
    last_name: str = "Person",
) -> User:
    n = next(_counter)
    async with runtime.sessionmaker() as session:
        user = User(
            email=email or f"{Role(role).value}{n}@example.com",
            phone=phone or f"98{n:08d}",
            first_name=first_name,
            last_name=last_name,
            role=Role(role),
            password_hash=runtime.credentials.passwords.hash(password) if password else None,
        )
        session.add(user)
        await session.commit()
        return user


async def login(client: httpx.AsyncClient, user: User, password: str = PASSWORD) -> str:
    """Sign in through EV-CMS and return the access token."""
    response = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": password}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["data"]["accessToken"]
    return token


async def login_pair(
    client: httpx.AsyncClient, user: User, password: str = PASSWORD
) -> tuple[str, str]:
    response = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": password}
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    return data["accessToken"], data["refreshToken"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def signed_in(
    runtime: Runtime, client: httpx.AsyncClient, role: Role | str = Role.USER
) -> tuple[User, dict[str, str]]:
    """A new user of ``role`` and the headers that authenticate as them."""
    user = await make_user(runtime, role=role)
    return user, bearer(await login(client, user))
