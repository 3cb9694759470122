"""CMS content (home banner, terms, offers): admins upsert by key, everyone reads."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import NotFound
from evcare.core.events import publish
from evcare.engagement import repository
from evcare.engagement.models import ContentEntry
from evcare.identity.principal import Principal


async def upsert_content(
    session: AsyncSession,
    principal: Principal,
    *,
    key: str,
    title: str,
    body: str,
    is_active: bool,
) -> tuple[ContentEntry, bool]:
    """Create or replace the entry ``key``; returns it and whether it was created."""
    entry = await repository.get_content(session, key)
    created = entry is None
    if entry is None:
        entry = ContentEntry(key=key, title=title, body=body, is_active=is_active)
        session.add(entry)
    else:
        entry.title, entry.body, entry.is_active = title, body, is_active
        entry.updated_at = utcnow()
    entry.updated_by = principal.user_id
    await session.flush()
    await publish(session, "engagement.content_updated", {"contentId": key})
    return entry, created


async def get_content(
    session: AsyncSession, principal: Principal | None, *, key: str
) -> ContentEntry:
    """Inactive entries are visible to admins only; for everyone else they do not exist."""
    entry = await repository.get_content(session, key)
    if entry is None or (not entry.is_active and not (principal and principal.is_admin)):
        raise NotFound(f"Content {key} not found")
    return entry
