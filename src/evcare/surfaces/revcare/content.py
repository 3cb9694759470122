"""RevCare CMS content: ``PUT /content/`` upserts by ``content_id`` (admins);
``GET /content/{content_id}`` is public (inactive entries only for admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field

from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.engagement import content
from evcare.engagement.models import ContentEntry
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.ids import ContentId
from evcare.surfaces.revcare.schemas import RevIn, RevModel
from evcare.surfaces.revcare.visitor import Visitor

router = APIRouter(prefix="/content", tags=["content"], route_class=TransactionalRoute)

ContentAdmin = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_CONTENT))]


class ContentIn(RevIn):
    content_id: ContentId = Field(description="stable key, e.g. home-banner")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=20_000)
    active: bool = True


class ContentOut(RevModel):
    content_id: str
    title: str
    body: str
    active: bool
    updated_at: datetime

    @classmethod
    def of(cls, entry: ContentEntry) -> ContentOut:
        return cls(
            content_id=entry.key,
            title=entry.title,
            body=entry.body,
            active=entry.is_active,
            updated_at=entry.updated_at,
        )


@router.put("/", operation_id="revcare_upsert_content")
async def upsert_content(
    body: ContentIn, principal: ContentAdmin, session: SessionDep
) -> ContentOut:
    entry, _ = await content.upsert_content(
        session,
        principal,
        key=body.content_id,
        title=body.title,
        body=body.body,
        is_active=body.active,
    )
    return ContentOut.of(entry)


@router.get("/{content_id}", operation_id="revcare_get_content")
async def get_content(content_id: ContentId, session: SessionDep, visitor: Visitor) -> ContentOut:
    return ContentOut.of(await content.get_content(session, visitor, key=content_id.lower()))
