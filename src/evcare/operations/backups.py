"""Database backups: create, list, restore, delete, on SQLite and PostgreSQL.

SQLite is copied page by page through its online backup API (``sqlite3.Connection.backup``),
so a backup is consistent while the app keeps serving. PostgreSQL goes through the client
tools: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists``.

A restore replaces the database under a running app, so it first takes a safety backup,
then releases every pooled connection (and, on PostgreSQL, ends the other sessions on the
database) before writing. Backup names follow one fixed pattern; anything else, a path
included, is refused before it reaches the file system.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from evcare.core.clock import utcnow
from evcare.core.errors import Conflict, NotFound, Unavailable, ValidationFailed

# evcare-20261123T175301123456Z[-label].sqlite3|.dump
NAME_PATTERN = re.compile(
    r"^evcare-(\d{8}T\d{12}Z)(?:-([a-z0-9][a-z0-9-]{0,39}))?\.(sqlite3|dump)$"
)
LABEL_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_NAME_LENGTH = 120
SAFETY_LABEL = "pre-restore"
PG_TOOL_TIMEOUT_SECONDS = 600

Progress = Callable[[int, int], None]
"""``progress(done, total)`` in SQLite pages; PostgreSQL reports 0/1 then 1/1."""


@dataclass(frozen=True)
class Backup:
    name: str
    size_bytes: int
    created_at: datetime
    database: str
    label: str | None


@dataclass(frozen=True)
class RestoreResult:
    restored: Backup
    safety_backup: Backup


@dataclass(frozen=True)
class BackupTarget:
    """Where backups live and which database they are of."""

    database_url: str
    folder: Path

    @classmethod
    def of(cls, database_url: str, data_dir: Path) -> BackupTarget:
        return cls(database_url=database_url, folder=data_dir / "backups")

    @property
    def url(self) -> URL:
        return make_url(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def extension(self) -> str:
        return "sqlite3" if self.is_sqlite else "dump"

    @property
    def kind(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"


def validate_name(name: str) -> str:
    """The backup name, or a 422 if it is not one this module could have made."""
    if len(name) > MAX_NAME_LENGTH or not NAME_PATTERN.fullmatch(name):
        raise ValidationFailed(
            "backup_name must look like evcare-YYYYMMDDTHHMMSSffffffZ[-label].sqlite3|.dump"
        )
    return name


def _describe(path: Path) -> Backup:
    match = NAME_PATTERN.fullmatch(path.name)
    assert match is not None
    stamp, label, extension = match.groups()
    created = datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    return Backup(
        name=path.name,
        size_bytes=path.stat().st_size,
        created_at=created,
        database="sqlite" if extension == "sqlite3" else "postgresql",
        label=label,
    )


def list_backups(target: BackupTarget) -> list[Backup]:
    """Every backup in the folder, newest first (files of the other database included)."""
    if not target.folder.is_dir():
        return []
    found = [
        _describe(path)
        for path in target.folder.iterdir()
        if path.is_file() and NAME_PATTERN.fullmatch(path.name)
    ]
    return sorted(found, key=lambda backup: backup.name, reverse=True)


def _path_of(target: BackupTarget, name: str) -> Path:
    path = target.folder / validate_name(name)
    if not path.is_file():
        raise NotFound(f"Backup {name} not found")
    return path


async def create_backup(
    target: BackupTarget, *, label: str | None = None, progress: Progress | None = None
) -> Backup:
    """Write a consistent copy of the whole database into the backups folder."""
    if label is not None and not LABEL_PATTERN.fullmatch(label):
        raise ValidationFailed("label: lowercase letters, digits and dashes, at most 40")
    target.folder.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    name = f"evcare-{stamp}{'-' + label if label else ''}.{target.extension}"
    path = target.folder / name
    if path.exists():
        raise Conflict(f"Backup {name} already exists")
    partial = path.with_name(path.name + ".partial")
    try:
        if target.is_sqlite:
            await asyncio.to_thread(_sqlite_copy, _sqlite_file(target), partial, progress)
        else:
            await _pg_dump(target, partial, progress)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return _describe(path)


async def delete_backup(target: BackupTarget, name: str) -> None:
    _path_of(target, name).unlink()


async def restore_backup(
    target: BackupTarget,
    engine: AsyncEngine,
    name: str,
    *,
    progress: Progress | None = None,
) -> RestoreResult:
    """Replace the database with backup ``name``, after taking a safety backup of it.

    The caller must hold no connection of ``engine``: its pool is emptied so no session
    keeps reading the replaced data.
    """
    path = _path_of(target, name)
    backup = _describe(path)
    if backup.database != target.kind:
        raise Conflict(f"Backup {name} is a {backup.database} backup; this is {target.kind}")
    safety = await create_backup(target, label=SAFETY_LABEL)
    await engine.dispose()
    try:
        if target.is_sqlite:
            await asyncio.to_thread(_sqlite_copy, path, _sqlite_file(target), progress)
        else:
            await _end_other_sessions(engine)
            await _pg_restore(target, path, progress)
    finally:
        await engine.dispose()
    return RestoreResult(restored=backup, safety_backup=safety)


# --- SQLite -------------------------------------------------------------------------


def _sqlite_file(target: BackupTarget) -> Path:
    database = target.url.database
    if not database or database == ":memory:":
        raise Unavailable("An in-memory SQLite database cannot be backed up")
    return Path(database)


def _sqlite_copy(source: Path, destination: Path, progress: Progress | None) -> None:
    """Page-by-page copy through SQLite's online backup API (safe while others read)."""
    if not source.is_file():
        raise NotFound(f"Database file {source.name} not found")

    def report(_status: int, remaining: int, total: int) -> None:
        if progress is not None:
            progress(total - remaining, total)

    with (
        contextlib.closing(sqlite3.connect(source, timeout=30)) as src,
        contextlib.closing(sqlite3.connect(destination, timeout=30)) as dst,
    ):
        src.backup(dst, pages=256, progress=report, sleep=0.05)
        dst.commit()


# --- PostgreSQL -----------------------------------------------------------------------


def _libpq(target: BackupTarget) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it."""
    url = target.url
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None, query={})
    return plain.render_as_string(hide_password=False), env


async def _run_tool(target: BackupTarget, tool: str, *args: str, progress: Progress | None) -> None:
    """Run ``pg_dump``/``pg_restore`` against the target; the password goes by environment."""
    dsn, env = _libpq(target)
    if progress:
        progress(0, 1)
    try:
        process = await asyncio.create_subprocess_exec(
            tool,
            *args,
            f"--dbname={dsn}",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
    except FileNotFoundError as error:
        raise Unavailable(f"{tool} is not installed on this machine") from error
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), PG_TOOL_TIMEOUT_SECONDS)
    except TimeoutError as error:
        process.kill()
        raise Unavailable(f"{tool} took longer than {PG_TOOL_TIMEOUT_SECONDS}s") from error
    if process.returncode != 0:
        # The first line names the failure; the rest may echo connection details.
        first = (stderr or b"").decode(errors="replace").strip().splitlines()[:1]
        raise Unavailable(f"{tool} failed: {first[0] if first else 'no output'}")
    if progress:
        progress(1, 1)


async def _pg_dump(target: BackupTarget, destination: Path, progress: Progress | None) -> None:
    await _run_tool(
        target,
        "pg_dump",
        "--format=custom",
        "--no-owner",
        f"--file={destination}",
        progress=progress,
    )


async def _pg_restore(target: BackupTarget, source: Path, progress: Progress | None) -> None:
    # --single-transaction: a failing restore leaves the database as it was.
    await _run_tool(
        target,
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        str(source),
        progress=progress,
    )


async def _end_other_sessions(engine: AsyncEngine) -> None:
    """End every other session on this database so the restore can drop its tables."""
    async with engine.connect() as connection:
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        await connection.commit()
    await engine.dispose()
