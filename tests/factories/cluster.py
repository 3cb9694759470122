"""Two real EVCare server processes on one database and one Redis: a small cluster.

Each node is ``uvicorn evcare.app:create_app --factory`` in its own OS process, so
nothing is shared but what production shares: the database, Redis and the secret key.
Node A polls its outbox only once an hour, node B five times a second: an event that a
test causes without going through A is therefore dispatched by B, which is how the tests
prove that B's events reach sockets connected to A.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from evcare.core.migrate import upgrade
from evcare.core.runtime import Runtime
from tests.conftest import make_settings


@dataclass
class Cluster:
    a: str
    b: str
    runtime: Runtime
    redis_url: str
    namespace: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def fresh_database(like: str) -> AsyncIterator[str]:
    """An empty database of the same kind as ``like``, upgraded to the current schema."""
    if like.startswith("sqlite"):
        folder = Path(tempfile.mkdtemp(prefix="evcare-cluster-"))
        url = f"sqlite+aiosqlite:///{folder / 'cluster.db'}"
        await upgrade(url)
        yield url
        return
    base = make_url(like)
    name = f"evcare_cluster_{secrets.token_hex(4)}"
    server = base.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    admin = await asyncpg.connect(server, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade(url)
        yield url
    finally:
        admin = await asyncpg.connect(server, timeout=10)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def _wait_healthy(base_url: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        for _ in range(300):
            if process.returncode is not None:
                raise RuntimeError(f"node {base_url} exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"node {base_url} did not become healthy")


@contextlib.asynccontextmanager
async def cluster(like_database: str, redis_url: str) -> AsyncIterator[Cluster]:
    async with fresh_database(like_database) as url:
        namespace = f"evcare-test-{secrets.token_hex(4)}"
        settings = make_settings(url, redis_url=redis_url, redis_namespace=namespace)
        env = {
            **os.environ,
            "EVCARE_ENVIRONMENT": "test",
            "EVCARE_DATABASE_URL": url,
            "EVCARE_REDIS_URL": redis_url,
            "EVCARE_REDIS_NAMESPACE": namespace,
            "EVCARE_SECRET_KEY": settings.secret_key.get_secret_value(),
            "EVCARE_KYC_ENCRYPTION_KEY": settings.kyc_encryption_key.get_secret_value(),
            "EVCARE_ARGON2_TIME_COST": "1",
            "EVCARE_ARGON2_MEMORY_KIB": "64",
            "EVCARE_RATE_LIMIT": "100000/minute",
            "EVCARE_LOG_LEVEL": "WARNING",
            "EVCARE_DATA_DIR": str(settings.data_dir),
        }
        nodes: list[tuple[str, asyncio.subprocess.Process]] = []
        try:
            for poll in ("3600", "0.2"):
                port = _free_port()
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "evcare.app:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                    "--ws-ping-interval",
                    "0",
                    env={**env, "EVCARE_OUTBOX_POLL_SECONDS": poll},
                )
                nodes.append((f"http://127.0.0.1:{port}", process))
            for base_url, process in nodes:
                await _wait_healthy(base_url, process)
            runtime = Runtime.build(settings)
            try:
                yield Cluster(nodes[0][0], nodes[1][0], runtime, redis_url, namespace)
            finally:
                await runtime.engine.dispose()
        finally:
            for _, process in nodes:
                process.terminate()
            for _, process in nodes:
                try:
                    await asyncio.wait_for(process.wait(), timeout=10)
                except TimeoutError:
                    process.kill()
                    await process.wait()
