"""The `evcare` command: demo data loads idempotently, create-admin makes a usable admin,
serve and up say plainly when their port is taken."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from evcare.cli import app
from evcare.core.config import get_settings
from evcare.core.db import create_engine
from evcare.demo import DEMO_LOGINS
from evcare.identity.models import User

runner = CliRunner()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> Iterator[None]:
    monkeypatch.setenv("EVCARE_DATABASE_URL", database_url)
    monkeypatch.setenv("EVCARE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EVCARE_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("EVCARE_ARGON2_MEMORY_KIB", "64")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _users(database_url: str) -> list[tuple[str, str]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(User.email, User.role).order_by(User.id))
            return [(email, role) for email, role in rows.all()]
    finally:
        await engine.dispose()


async def invoke(*args: str) -> Result:
    """Run the command in a worker thread (it runs its own event loop), so the test
    loop, and any app's background tasks on it, keep running meanwhile."""
    return await asyncio.to_thread(runner.invoke, app, list(args))


async def test_demo_loads_once_and_a_second_run_creates_nothing(
    cli_env: None, database_url: str
) -> None:
    first = await invoke("demo")
    assert first.exit_code == 0, first.output
    assert "admin@evcare.dev" in first.output
    assert "CLIENT_SECRET=evc_cs_demo" in first.output
    users = await _users(database_url)
    assert {email for email, _ in users} >= {login.email for login in DEMO_LOGINS}
    second = await invoke("demo")
    assert second.exit_code == 0, second.output
    assert "demo present" in second.output
    assert len(await _users(database_url)) == len(users)


async def test_create_admin_makes_an_admin_and_refuses_a_taken_email(
    cli_env: None, database_url: str
) -> None:
    args = [
        "create-admin",
        "--email",
        "ops@evcare.dev",
        "--first-name",
        "Ops",
        "--last-name",
        "Team",
    ]
    result = await invoke(*args, "--password", "Sup3r-secret")
    assert result.exit_code == 0, result.output
    assert ("ops@evcare.dev", "admin") in await _users(database_url)
    again = await invoke(*args, "--password", "Sup3r-secret")
    assert again.exit_code == 1
    assert "already exists" in again.output
    short = await invoke(*args, "--password", "short")
    assert short.exit_code != 0


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port another process is listening on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


@pytest.mark.parametrize("command", ["serve", "up"])
async def test_a_port_in_use_is_one_clear_line_and_exit_1_before_any_work(
    cli_env: None, database_url: str, busy_port: int, command: str
) -> None:
    result = await invoke(command, "--port", str(busy_port))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == [
        f"port {busy_port} is in use: stop the other process or pass --port 8000 "
        "(or set EVCARE_PORT=8000)"
    ]
    assert "Traceback" not in result.output and "listening" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


async def test_the_port_from_evcare_port_is_checked_too(
    cli_env: None, busy_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVCARE_PORT", str(busy_port))
    get_settings.cache_clear()
    result = await invoke("serve")
    assert result.exit_code == 1
    assert f"port {busy_port} is in use" in result.output
