"""Every query of the integrations context."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.pagination import Page, PageParams
from evcare.integrations.models import (
    ExternalIdentity,
    Integration,
    IntegrationSecret,
    SessionCode,
)


async def get_integration(session: AsyncSession, integration_id: str) -> Integration | None:
    return await session.get(Integration, integration_id)


async def get_by_client_id(session: AsyncSession, client_id: str) -> Integration | None:
    query = select(Integration).where(Integration.client_id == client_id)
    return (await session.scalars(query)).one_or_none()


async def list_integrations(
    session: AsyncSession, params: PageParams, *, status: str | None = None
) -> Page[Integration]:
    query = select(Integration)
    if status is not None:
        query = query.where(Integration.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.order_by(Integration.created_at, Integration.id)
        .offset(params.offset)
        .limit(params.limit)
    )
    return Page(items=list(rows.all()), total=total, params=params)


async def live_secrets(
    session: AsyncSession, integration_id: str, *, now: datetime
) -> list[IntegrationSecret]:
    """The secrets that still sign in: not revoked, not past their overlap."""
    query = (
        select(IntegrationSecret)
        .where(IntegrationSecret.integration_id == integration_id)
        .where(IntegrationSecret.revoked_at.is_(None))
        .where((IntegrationSecret.expires_at.is_(None)) | (IntegrationSecret.expires_at > now))
        .order_by(IntegrationSecret.id)
    )
    return list((await session.scalars(query)).all())


async def end_secrets(
    session: AsyncSession, integration_id: str, *, now: datetime, expires_at: datetime | None
) -> None:
    """Every live secret of the integration stops at ``expires_at`` (now: revoked)."""
    live = (
        update(IntegrationSecret)
        .where(IntegrationSecret.integration_id == integration_id)
        .where(IntegrationSecret.revoked_at.is_(None))
    )
    if expires_at is None:
        await session.execute(live.values(revoked_at=now))
        return
    await session.execute(
        live.where(
            (IntegrationSecret.expires_at.is_(None)) | (IntegrationSecret.expires_at > expires_at)
        ).values(expires_at=expires_at)
    )


async def get_external_identity(
    session: AsyncSession, integration_id: str, external_subject: str
) -> ExternalIdentity | None:
    query = (
        select(ExternalIdentity)
        .where(ExternalIdentity.integration_id == integration_id)
        .where(ExternalIdentity.external_subject == external_subject)
    )
    return (await session.scalars(query)).one_or_none()


async def claim_session_code(
    session: AsyncSession, code_hash: str, *, now: datetime
) -> SessionCode | None:
    """Spend a session code in one conditional UPDATE: of two concurrent redemptions
    exactly one wins; a used or expired code matches nothing."""
    result = await session.execute(
        update(SessionCode)
        .where(SessionCode.code_hash == code_hash)
        .where(SessionCode.used_at.is_(None))
        .where(SessionCode.expires_at > now)
        .values(used_at=now)
        .returning(SessionCode.id)
    )
    claimed = result.scalar_one_or_none()
    if claimed is None:
        return None
    return await session.get(SessionCode, claimed)
