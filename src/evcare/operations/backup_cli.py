"""``evcare backup create|list|restore|delete``: the /backup/* routes on the command line."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from evcare.core.config import get_settings
from evcare.core.db import create_engine
from evcare.core.errors import DomainError
from evcare.operations import backups

backup_app = typer.Typer(help="Database backups (SQLite online backup; pg_dump/pg_restore).")
console = Console()

Name = Annotated[str, typer.Argument(help="a name from `evcare backup list`")]


def _target() -> backups.BackupTarget:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return backups.BackupTarget.of(settings.resolved_database_url, settings.data_dir)


@contextmanager
def _progress(description: str) -> Iterator[backups.Progress]:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, 1))

        yield report


def _fail(error: DomainError) -> typer.Exit:
    console.print(f"[red]{error.detail}[/]")
    return typer.Exit(1)


@backup_app.command("create")
def create(
    label: Annotated[str | None, typer.Option(help="lowercase letters, digits, dashes")] = None,
) -> None:
    """Back up the configured database into <data_dir>/backups."""
    target = _target()
    try:
        with _progress("backing up") as report:
            backup = asyncio.run(backups.create_backup(target, label=label, progress=report))
    except DomainError as error:
        raise _fail(error) from error
    console.print(f"[green]created[/] {backup.name} ({backup.size_bytes:,} bytes)")


@backup_app.command("list")
def list_() -> None:
    """Every backup, newest first. Names are printed whole whatever the terminal width
    (they are what ``restore`` and ``delete`` take): a table where it fits, otherwise one
    block per backup with the name on a line of its own."""
    found = backups.list_backups(_target())
    rows = [(b.name, b.database, f"{b.size_bytes:,}", b.created_at.isoformat()) for b in found]
    headers = ("name", "database", "size (bytes)", "created (UTC)")
    # Each column's widest cell plus rich's borders and padding (3 per column, 1 more).
    needed = sum(max([len(h)] + [len(r[n]) for r in rows]) + 3 for n, h in enumerate(headers))
    if needed + 1 <= console.width:
        table = Table(title="Backups")
        table.add_column("name", no_wrap=True)
        for column in headers[1:]:
            table.add_column(column, no_wrap=True)
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    console.print("Backups", style="bold")
    for name, database, size, created in rows:
        console.print(name, soft_wrap=True, highlight=False)
        console.print(f"  {database}, {size} bytes, created {created} UTC", highlight=False)


async def _restore(
    target: backups.BackupTarget, name: str, report: backups.Progress
) -> backups.RestoreResult:
    engine = create_engine(target.database_url)
    try:
        return await backups.restore_backup(target, engine, name, progress=report)
    finally:
        await engine.dispose()


@backup_app.command("restore")
def restore(
    name: Name,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False,
) -> None:
    """Replace the database with a backup (a safety backup is taken first)."""
    target = _target()
    if not yes:
        typer.confirm(f"Replace the database with {name}?", abort=True)
    try:
        with _progress("restoring") as report:
            result = asyncio.run(_restore(target, name, report))
    except DomainError as error:
        raise _fail(error) from error
    console.print(
        f"[green]restored[/] {result.restored.name}; safety backup {result.safety_backup.name}"
    )


@backup_app.command("delete")
def delete(name: Name) -> None:
    """Delete one backup."""
    try:
        asyncio.run(backups.delete_backup(_target(), name))
    except DomainError as error:
        raise _fail(error) from error
    console.print(f"[green]deleted[/] {name}")
