"""RevCare backups: ``/backup/create|list|restore|delete`` for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field

from evcare.core.errors import ValidationFailed
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.operations import backups
from evcare.surfaces.deps import Authenticator, RuntimeDep
from evcare.surfaces.revcare.schemas import Message, RevIn, RevModel

router = APIRouter(prefix="/backup", tags=["backup"], route_class=TransactionalRoute)

BackupsManage = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_BACKUPS))]
BackupName = Annotated[str, Query(min_length=1, max_length=backups.MAX_NAME_LENGTH)]


class BackupOut(RevModel):
    name: str
    size_bytes: int
    created_at: datetime
    database: str
    label: str | None


class BackupCreate(RevIn):
    label: str | None = Field(default=None, min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")


class BackupRestore(RevIn):
    backup_name: str = Field(min_length=1, max_length=backups.MAX_NAME_LENGTH)


class RestoreOut(RevModel):
    message: str
    restored: BackupOut
    safety_backup: BackupOut


def _out(backup: backups.Backup) -> BackupOut:
    return BackupOut.model_validate(backup)


async def _target(runtime: RuntimeDep) -> backups.BackupTarget:
    settings = runtime.settings
    return backups.BackupTarget.of(settings.resolved_database_url, settings.data_dir)


Target = Annotated[backups.BackupTarget, Depends(_target)]


@router.post("/create", status_code=201, operation_id="revcare_create_backup")
async def create_backup(
    principal: BackupsManage, target: Target, body: BackupCreate | None = None
) -> BackupOut:
    return _out(await backups.create_backup(target, label=body.label if body else None))


@router.get("/list", operation_id="revcare_list_backups")
async def list_backups(principal: BackupsManage, target: Target) -> list[BackupOut]:
    return [_out(backup) for backup in backups.list_backups(target)]


@router.post("/restore", operation_id="revcare_restore_backup")
async def restore_backup(
    principal: BackupsManage,
    target: Target,
    runtime: RuntimeDep,
    session: SessionDep,
    body: BackupRestore | None = None,
    backup_name: BackupName | None = None,
) -> RestoreOut:
    """Restore the named backup (body ``backup_name`` or query); a safety backup comes first."""
    name = body.backup_name if body else backup_name
    if not name:
        raise ValidationFailed("backup_name: give it in the body or the query")
    # Release this request's connection: the restore replaces the data under it.
    await session.close()
    result = await backups.restore_backup(target, runtime.engine, name)
    return RestoreOut(
        message=f"Backup {result.restored.name} restored",
        restored=_out(result.restored),
        safety_backup=_out(result.safety_backup),
    )


@router.delete("/delete/{backup_name}", operation_id="revcare_delete_backup")
async def delete_backup(
    backup_name: Annotated[str, Path(max_length=backups.MAX_NAME_LENGTH)],
    principal: BackupsManage,
    target: Target,
) -> Message:
    await backups.delete_backup(target, backup_name)
    return Message(message=f"Backup {backup_name} deleted")
