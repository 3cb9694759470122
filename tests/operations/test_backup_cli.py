"""`evcare backup create|list|restore|delete` on the configured database."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from rich.console import Console
from sqlalchemy import func, select
from typer.testing import CliRunner

from evcare.cli import app
from evcare.core.config import get_settings
from evcare.core.db import create_engine
from evcare.identity.models import User
from evcare.operations import backup_cli

runner = CliRunner()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.setenv("EVCARE_DATABASE_URL", database_url)
    monkeypatch.setenv("EVCARE_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path / "backups"
    get_settings.cache_clear()


async def _count_users(database_url: str, *, add: str | None = None) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            if add:
                await connection.execute(
                    User.__table__.insert().values(
                        email=add,
                        first_name="Cli",
                        last_name="",
                        role="user",
                        status="active",
                        is_email_verified=False,
                        preferences={},
                        created_at=func.now(),
                        updated_at=func.now(),
                    )
                )
            return int(await connection.scalar(select(func.count()).select_from(User)) or 0)
    finally:
        await engine.dispose()


def _names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


async def _invoke(args: list[str]) -> Result:
    # In a thread: the command runs its own event loop while the test's loop (and the
    # app's background tasks on it) keeps going, as two processes would.
    return await asyncio.to_thread(runner.invoke, app, args)


async def test_the_backup_commands_round_trip_the_database(
    database_url: str, cli_env: Path
) -> None:
    before = await _count_users(database_url)
    created = await _invoke(["backup", "create", "--label", "cli"])
    assert created.exit_code == 0, created.output
    (name,) = _names(cli_env)
    assert name.startswith("evcare-") and "-cli." in name and name in created.output

    assert await _count_users(database_url, add="cli-change@example.com") == before + 1
    restored = await _invoke(["backup", "restore", name, "--yes"])
    assert restored.exit_code == 0, restored.output
    assert await _count_users(database_url) == before

    listed = await _invoke(["backup", "list"])
    assert listed.exit_code == 0 and "Backups" in listed.output
    assert any("-pre-restore." in n for n in _names(cli_env))
    deleted = await _invoke(["backup", "delete", name])
    assert deleted.exit_code == 0, deleted.output
    assert name not in _names(cli_env)


async def test_the_backup_commands_refuse_names_outside_the_pattern(cli_env: Path) -> None:
    for args in (["backup", "delete", "../evcare.db"], ["backup", "restore", "x.db", "--yes"]):
        result = await _invoke(args)
        assert result.exit_code == 1 and "backup_name" in result.output


@pytest.mark.parametrize("width", [40, 60, 200])
async def test_backup_list_prints_whole_names_whatever_the_terminal_width(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    label = "before-the-long-weekend-upgrade-of-db"
    created = await _invoke(["backup", "create", "--label", label])
    assert created.exit_code == 0, created.output
    (name,) = _names(cli_env)
    narrow = Console(width=width, file=io.StringIO(), force_terminal=False, color_system=None)
    monkeypatch.setattr(backup_cli, "console", narrow)
    listed = await _invoke(["backup", "list"])
    assert listed.exit_code == 0, listed.output
    printed = narrow.file.getvalue()  # type: ignore[attr-defined]
    assert any(name in line for line in printed.splitlines()), printed
