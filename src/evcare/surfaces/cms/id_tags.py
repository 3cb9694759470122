"""Charging cards (RFID id tags): a driver's own under ``/api/v1/profile/id-tags``, anyone's
for admins under ``/api/v1/admin/id-tags``. What chargers are told about a card
(Accepted, Blocked, Expired, Invalid, ConcurrentTx, NoCredit) is
:mod:`evcare.charging.sessions.id_tags`; docs/ocpp.md "Charging cards".
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from evcare.charging.sessions import id_tags as service
from evcare.core.pagination import Page, Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.schemas import (
    CamelModel,
    Envelope,
    PagedEnvelope,
    PaginationOut,
    StrictCamelModel,
)
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.ids import IdTagId, UserId
from evcare.surfaces.times import UtcDateTime

router = APIRouter(tags=["id-tags"], route_class=TransactionalRoute)

OwnRead = Annotated[Principal, Depends(Authenticator(Scope.READ_PROFILE))]
OwnWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_PROFILE))]
Manage = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_ID_TAGS))]

# What fits an OCPP 1.6 idTag (CiString20), so a card works on every charger.
Token = Annotated[
    str,
    Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9._:-]+$", examples=["04A2B3C4D5"]),
]
Label = Annotated[str, Field(min_length=1, max_length=100)]
Limit = Annotated[int, Field(strict=True, ge=1, le=100)]


class IdTagOut(CamelModel):
    """A charging card: ``status`` is ``blocked``, ``expired`` (its expiryDate passed)
    or ``active``; ``maxActiveSessions`` null means no limit."""

    id: str
    id_tag: str
    label: str | None
    user_id: str
    status: Literal["active", "blocked", "expired"]
    expiry_date: datetime | None
    parent_id_tag: str | None
    max_active_sessions: int | None
    blocked_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, card: service.Card) -> IdTagOut:
        tag = card.tag
        return cls(
            id=str(tag.id),
            id_tag=tag.token,
            label=tag.label,
            user_id=str(tag.user_id),
            status=cast(Literal["active", "blocked", "expired"], card.state),
            expiry_date=tag.expires_at,
            parent_id_tag=card.parent_id_tag,
            max_active_sessions=tag.max_active_sessions,
            blocked_at=tag.blocked_at,
            created_at=tag.created_at,
        )


class IdTagBody(CamelModel):
    id_tag: IdTagOut


class IdTagsBody(CamelModel):
    id_tags: list[IdTagOut]


class OwnCardIn(StrictCamelModel):
    id_tag: Token
    label: Label | None = None


class IssueIn(StrictCamelModel):
    user_id: UserId
    id_tag: Token
    label: Label | None = None
    expiry_date: UtcDateTime | None = None
    parent_id_tag: Token | None = None
    max_active_sessions: Limit | None = Field(default=1, description="null: no limit")


class UpdateIn(StrictCamelModel):
    """Fields sent are changed (null clears expiryDate, parentIdTag, maxActiveSessions);
    a past ``expiryDate`` expires the card now."""

    status: Literal["active", "blocked"] | None = None
    label: Label | None = None
    expiry_date: UtcDateTime | None = None
    parent_id_tag: Token | None = None
    max_active_sessions: Limit | None = None


def _page(result: Page[service.Card]) -> PagedEnvelope[IdTagsBody]:
    return PagedEnvelope(
        data=IdTagsBody(id_tags=[IdTagOut.of(card) for card in result.items]),
        pagination=PaginationOut.of(cast(Page[object], result)),
    )


def _one(card: service.Card, message: str | None = None) -> Envelope[IdTagBody]:
    return Envelope(message=message, data=IdTagBody(id_tag=IdTagOut.of(card)))


@router.get("/profile/id-tags", operation_id="cms_list_own_id_tags")
async def list_own(
    principal: OwnRead, session: SessionDep, page: Pagination
) -> PagedEnvelope[IdTagsBody]:
    """The caller's charging cards, newest first."""
    return _page(await service.list_own_cards(session, principal, page))


@router.post("/profile/id-tags", status_code=201, operation_id="cms_add_own_id_tag")
async def add_own(body: OwnCardIn, principal: OwnWrite, session: SessionDep) -> Envelope[IdTagBody]:
    """Register a card the caller holds (one session at a time, no expiry)."""
    card = await service.add_own_card(session, principal, token=body.id_tag, label=body.label)
    return _one(card, "Card added")


@router.put("/profile/id-tags/{id_tag_id}/block", operation_id="cms_block_own_id_tag")
async def block_own(
    id_tag_id: IdTagId, principal: OwnWrite, session: SessionDep
) -> Envelope[IdTagBody]:
    """Block one of the caller's cards (lost or stolen); only an admin unblocks it."""
    return _one(await service.block_own_card(session, principal, id_tag_id), "Card blocked")


@router.get("/admin/id-tags", operation_id="cms_admin_list_id_tags")
async def list_all(
    principal: Manage,
    session: SessionDep,
    page: Pagination,
    status: Annotated[Literal["active", "blocked"] | None, Query()] = None,
    user_id: Annotated[UserId | None, Query(alias="userId")] = None,
    search: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> PagedEnvelope[IdTagsBody]:
    """Every card, filtered by stored status, holder, or text of its token or label."""
    result = await service.list_cards(session, page, status=status, user_id=user_id, search=search)
    return _page(result)


@router.post("/admin/id-tags", status_code=201, operation_id="cms_admin_issue_id_tag")
async def issue(body: IssueIn, principal: Manage, session: SessionDep) -> Envelope[IdTagBody]:
    """Issue a card to a user, with an expiry, a parent (group) card and a limit."""
    card = await service.issue_card(
        session,
        user_id=body.user_id,
        token=body.id_tag,
        label=body.label,
        expires_at=body.expiry_date,
        parent_id_tag=body.parent_id_tag,
        max_active_sessions=body.max_active_sessions,
    )
    return _one(card, "Card issued")


_FIELDS = {
    "status": "status",
    "label": "label",
    "expiry_date": "expires_at",
    "parent_id_tag": "parent_id_tag",
    "max_active_sessions": "max_active_sessions",
}


@router.put("/admin/id-tags/{id_tag_id}", operation_id="cms_admin_update_id_tag")
async def update(
    id_tag_id: IdTagId, body: UpdateIn, principal: Manage, session: SessionDep
) -> Envelope[IdTagBody]:
    """Block, unblock, expire or change a card."""
    changes: dict[str, Any] = {
        _FIELDS[name]: getattr(body, name) for name in body.model_fields_set if name in _FIELDS
    }
    if changes.get("status", "") is None:
        changes.pop("status")
    if "label" in changes and changes["label"] is None:
        changes.pop("label")
    return _one(await service.update_card(session, id_tag_id, changes), "Card updated")
