"""Developer hub sign-in costs: client-token issuance per second, and an allowlisted
EV-CMS call made with a partner user's token as a ratio to the same call with a plain
user's token (goal: the partner checks cost <= 1.3x).

    .venv/bin/python bench/hub_auth.py                      # SQLite file
    .venv/bin/python bench/hub_auth.py --database-url \\
        postgresql+asyncpg://postgres@127.0.0.1:5432/evcare_bench_hub

Requests go through the whole ASGI app in process (httpx's ASGITransport: middleware,
routing, the per-request token and integration checks, the database), serially, the
two kinds of call interleaved so that drift hits both alike. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from evcare.app import create_app
from evcare.core.config import Settings
from evcare.core.migrate import upgrade
from evcare.identity.models import Role, User

PASSWORD = "Bench-password-1"
ROUTE = "/api/v1/profile"


def settings_for(url: str) -> Settings:
    return Settings.model_validate(
        {
            "environment": "test",
            "database_url": url,
            "secret_key": secrets.token_urlsafe(32),
            "argon2_time_cost": 1,
            "argon2_memory_kib": 64,
            "rate_limit": "10000000/minute",
            "log_level": "WARNING",
            "data_dir": Path(tempfile.mkdtemp(prefix="evcare-bench-")),
        }
    )


async def timed(calls: int, call: Any) -> list[float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def line(name: str, samples: list[float]) -> str:
    median = statistics.median(samples)
    return f"{name:<52} n={len(samples):>5}  p50={median:6.2f} ms  rate={1000 / median:7.1f}/s"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    await upgrade(url)
    app = create_app(settings_for(url))
    async with LifespanManager(app):
        runtime = app.state.runtime
        async with runtime.sessionmaker() as session:
            for role, email in (
                (Role.ADMIN, "admin@bench.example"),
                (Role.USER, "u@bench.example"),
            ):
                session.add(
                    User(
                        email=email,
                        first_name="Bench",
                        role=role,
                        password_hash=runtime.credentials.passwords.hash(PASSWORD),
                    )
                )
            await session.commit()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def login(email: str) -> dict[str, str]:
                body = {"email": email, "password": PASSWORD}
                token = (await client.post("/api/v1/auth/login", json=body)).json()["data"]
                return {"Authorization": f"Bearer {token['accessToken']}"}

            admin = await login("admin@bench.example")
            plain = await login("u@bench.example")
            created = (
                await client.post(
                    "/v1/integrations",
                    headers=admin,
                    json={
                        "name": "Bench",
                        "bundles": ["CLIENT_ACCESS"],
                        "allowedEndpoints": [f"GET {ROUTE}", "POST /v1/integrations/auth/exchange"],
                        "contactEmail": "bench@partner.example",
                    },
                )
            ).json()
            credentials = created["credentials"]

            async def issue() -> str:
                response = await client.post("/v1/integrations/auth/client-token", json=credentials)
                assert response.status_code == 200
                token: str = response.json()["accessToken"]
                return token

            integration = {"Authorization": f"Bearer {await issue()}"}
            code = (
                await client.post(
                    "/v1/integrations/auth/exchange",
                    headers=integration,
                    json={
                        "integrationId": created["integration"]["id"],
                        "externalSubject": "bench",
                        "email": "partner-user@bench.example",
                        "roleHint": "CLIENT",
                    },
                )
            ).json()["sessionCode"]
            session_body = {"sessionCode": code}
            redeemed = await client.post("/v1/integrations/auth/session", json=session_body)
            partner = {"Authorization": f"Bearer {redeemed.json()['accessToken']}"}

            async def call(headers: dict[str, str]) -> None:
                response = await client.get(ROUTE, headers=headers)
                assert response.status_code == 200, response.text

            for _ in range(50):  # warm up both paths
                await call(plain)
                await call(partner)
            plain_samples: list[float] = []
            partner_samples: list[float] = []
            for _ in range(args.calls):
                plain_samples += await timed(1, lambda: call(plain))
                partner_samples += await timed(1, lambda: call(partner))
            issue_samples = await timed(args.calls, issue)
    print(f"database: {url.split(':', 1)[0]}")
    print(line("client-token issuance", issue_samples))
    print(line(f"GET {ROUTE}, plain user token", plain_samples))
    print(line(f"GET {ROUTE}, partner user token (allowlisted)", partner_samples))
    ratio = statistics.median(partner_samples) / statistics.median(plain_samples)
    print(f"partner / plain cost (p50): {ratio:.2f}x   (goal <= 1.3x)")


if __name__ == "__main__":
    asyncio.run(main())
