"""Server render time of the web console's common pages on the demo data (goal: under
50 ms each).

    .venv/bin/python -P bench/console.py                      # SQLite file
    .venv/bin/python -P bench/console.py --database-url \\
        postgresql+asyncpg://postgres@127.0.0.1:5432/evcare_bench_console

Migrates, loads ``evcare demo``'s data, signs the demo admin in through ``/sign-in``
(cookies, CSRF token) and GETs each page ``--calls`` times, serially, in process
through the whole ASGI app (middleware, routing, the cookie sign-in, the services, the
Jinja2 render). A page another part of the console has not built yet (a 404) is
skipped. Prints p50/p95 per page and the share under the goal; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from evcare.app import create_app
from evcare.core.config import Settings
from evcare.core.migrate import upgrade
from evcare.demo import DEMO_INTEGRATION, DEMO_LOGINS, load_demo

GOAL_MS = 50.0
PAGES = (
    "/developer-hub",
    "/developer-hub/docs/developer-hub/README",
    "/admin/",
    "/admin/integrations",
    f"/admin/integrations/{DEMO_INTEGRATION.integration_id}",
    "/admin/users",
    "/admin/stations",
    "/admin/kyc",
    "/admin/support",
    "/admin/refunds",
    "/admin/settings",
    "/console/",
    "/app/",
)


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


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    await upgrade(url)
    app = create_app(settings_for(url))
    async with LifespanManager(app):
        runtime = app.state.runtime
        async with runtime.sessionmaker() as session:
            await load_demo(session, runtime.credentials)
            await session.commit()
        admin = next(login for login in DEMO_LOGINS if login.role == "admin")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            page = await client.get("/sign-in")
            token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
            assert token
            signed = await client.post(
                "/sign-in",
                data={"email": admin.email, "password": admin.password, "csrf_token": token[1]},
            )
            assert signed.status_code == 303, signed.text
            print(f"{'page':<60} {'p50':>8} {'p95':>8}  under {GOAL_MS:.0f} ms")
            for path in PAGES:
                first = await client.get(path)
                if first.status_code == 404:
                    print(f"{path:<60} {'(not built yet)':>18}")
                    continue
                assert first.status_code == 200, (path, first.status_code)
                samples = []
                for _ in range(args.calls):
                    started = time.perf_counter()
                    response = await client.get(path)
                    samples.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
                under = sum(sample < GOAL_MS for sample in samples) / len(samples)
                print(
                    f"{path:<60} {statistics.median(samples):6.2f}ms"
                    f" {percentile(samples, 0.95):6.2f}ms  {under:6.1%}"
                )


if __name__ == "__main__":
    asyncio.run(main())
