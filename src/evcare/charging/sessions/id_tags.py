"""Charging cards (id tags) and what a charger is told about a presented one.

**Authorization** (OCPP 1.6 ``Authorize``/``StartTransaction``, 2.0.1
``Authorize``/``TransactionEvent``; docs/ocpp.md "Charging cards"). A presented token is
a card (an :class:`IdTag` row) or the app token of a remote start (derived, never
stored). The answer, checked in this order:

- ``Invalid``: no such card (or app token), or its holder is deleted;
- ``Blocked``: the card is blocked, or its holder is not active;
- ``Expired``: the card's ``expires_at`` has passed (at the transaction's start time);
- ``ConcurrentTx``: the card already has ``max_active_sessions`` sessions running
  elsewhere (a start only);
- ``NoCredit``: the holder's wallet is below ``minWalletBalance`` (a start only; OCPP
  1.6 has no such status and is told ``Blocked``);
- ``Accepted`` otherwise.

An accepted answer carries ``expires_at`` for the charger's authorization cache: the
card's expiry, but never later than :data:`CACHE_LIFETIME` from now, so a card blocked
(or a wallet run dry) while a charger trusts its cache is asked about again within a day.

**Cards**: a driver lists, adds and blocks their own; an admin issues, blocks, unblocks
and expires any, with an expiry, a parent (group) card and a concurrent-session limit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import wallet
from evcare.charging.sessions import id_tag_repository as repository
from evcare.charging.sessions.models import IdTag, IdTagStatus
from evcare.charging.sessions.repository import get_user
from evcare.core.clock import as_utc, utcnow
from evcare.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from evcare.core.pagination import Page, PageParams
from evcare.identity.models import User, UserStatus
from evcare.identity.principal import Principal

CACHE_LIFETIME = timedelta(hours=24)
MAX_PARENT_DEPTH = 8
_APP_TOKEN = re.compile(r"^A(\d{1,8})X([0-9A-F]{10})$")


class AuthorizationStatus(StrEnum):
    """OCPP 2.0.1's AuthorizationStatusEnumType names (1.6 has all but ``NoCredit``)."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"
    NO_CREDIT = "NoCredit"


@dataclass(frozen=True)
class Authorization:
    """What to tell the charger about a presented token."""

    status: AuthorizationStatus
    user_id: int | None
    # For the charger's cache: until when an Accepted answer holds (an Expired one: when
    # the card expired). None: no date to give.
    expires_at: datetime | None = None
    parent_id_tag: str | None = None
    # A card was presented (not the app token of a remote start): the driver plugged in.
    by_card: bool = False
    reason: str | None = None


# -- app tokens (remote starts) ------------------------------------------------------------


def app_token(secret: str, *, user_id: int) -> str:
    """The user's app id tag for remote starts: derived (keyed hash), never stored.

    Derived rather than stored so a remote start writes nothing before the charger's own
    transaction (on another connection) needs to read it. 20 characters at most (the
    longest idTag OCPP 1.6 allows): ``A<user id>X<10 hex of a keyed BLAKE2b>``.
    """
    return f"A{user_id}X{_app_token_mac(secret, user_id)}"


def _app_token_mac(secret: str, user_id: int) -> str:
    digest = hashlib.blake2b(f"id-tag:{user_id}".encode(), key=secret.encode()[:64], digest_size=5)
    return digest.hexdigest().upper()


def _app_token_user(secret: str | None, token: str) -> int | None:
    match = _APP_TOKEN.match(token)
    if secret is None or match is None:
        return None
    user_id = int(match.group(1))
    expected = _app_token_mac(secret, user_id)
    return user_id if hmac.compare_digest(expected, match.group(2)) else None


# -- authorization -------------------------------------------------------------------------


async def authorize(
    session: AsyncSession,
    *,
    token: str | None,
    secret: str | None,
    at: datetime | None = None,
    starting: bool = True,
    charger_id: int | None = None,
    connector_id: int | None = None,
) -> Authorization:
    """The answer for ``token`` presented at ``at`` (now by default), in the order of
    the module's list. ``starting``: the token starts (or may start) a transaction, so
    its running sessions (other than one on ``charger_id``/``connector_id``) and the
    holder's wallet count too; for a Stop they do not."""
    if not token:
        return Authorization(AuthorizationStatus.INVALID, None)
    now = utcnow()
    moment = as_utc(at) if at is not None else now
    tag: IdTag | None = None
    user: User | None = None
    app_user = _app_token_user(secret, token)
    if app_user is not None:
        user = await get_user(session, app_user)
    else:
        found = await repository.get_id_tag(session, token, lock=starting)
        if found is not None:
            tag, user = found
    if user is None or user.deleted_at is not None:
        return Authorization(AuthorizationStatus.INVALID, None)
    parent = None
    if tag is not None and tag.parent_id is not None:
        parent = (await repository.parent_tokens(session, {tag.parent_id})).get(tag.parent_id)
    by_card = tag is not None

    def answer(status: AuthorizationStatus, reason: str, **extra: Any) -> Authorization:
        return Authorization(
            status, user.id, parent_id_tag=parent, by_card=by_card, reason=reason, **extra
        )

    if (tag is not None and tag.status != IdTagStatus.ACTIVE) or user.status != UserStatus.ACTIVE:
        return answer(AuthorizationStatus.BLOCKED, "The card or its holder is blocked")
    expires = as_utc(tag.expires_at) if tag is not None and tag.expires_at else None
    if expires is not None and expires <= moment:
        return answer(AuthorizationStatus.EXPIRED, "The card has expired", expires_at=expires)
    if starting and tag is not None and tag.max_active_sessions is not None:
        running = await repository.running_sessions(
            session, token, charger_id=charger_id, connector_id=connector_id
        )
        if running >= tag.max_active_sessions:
            return answer(
                AuthorizationStatus.CONCURRENT_TX,
                f"The card already has {running} session(s) running",
            )
    if starting:
        short = await wallet.shortfall(session, user_id=user.id)
        if short is not None:
            return answer(AuthorizationStatus.NO_CREDIT, short.reason)
    cache_until = now + CACHE_LIFETIME
    return answer(
        AuthorizationStatus.ACCEPTED,
        "Accepted",
        expires_at=min(expires, cache_until) if expires is not None else cache_until,
    )


# -- cards ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """A card as the API shows it: the row, its parent's token, and its state now."""

    tag: IdTag
    parent_id_tag: str | None

    @property
    def state(self) -> str:
        """``blocked``, ``expired`` (a time passed) or ``active``."""
        if self.tag.status == IdTagStatus.BLOCKED:
            return "blocked"
        if self.tag.expires_at is not None and as_utc(self.tag.expires_at) <= utcnow():
            return "expired"
        return "active"


async def _cards(session: AsyncSession, page: Page[IdTag]) -> Page[Card]:
    parents = await repository.parent_tokens(
        session, {tag.parent_id for tag in page.items if tag.parent_id is not None}
    )
    cards = [Card(tag, parents.get(tag.parent_id) if tag.parent_id else None) for tag in page.items]
    return Page(cards, page.total, page.params)


async def _card(session: AsyncSession, tag: IdTag) -> Card:
    await session.flush()
    fresh = await repository.by_id(session, tag.id)
    assert fresh is not None
    return (await _cards(session, Page([fresh], 1, PageParams(1, 1)))).items[0]


def _token_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields=[FieldError("idTag", message)])


async def _new_token(session: AsyncSession, token: str) -> str:
    if _APP_TOKEN.match(token):
        raise _token_error("idTag has the form of an app token (A<n>X<hex>), which is reserved")
    if await repository.by_token(session, token) is not None:
        raise Conflict(f"Card {token} is already registered")
    return token


async def list_own_cards(
    session: AsyncSession, principal: Principal, params: PageParams
) -> Page[Card]:
    page = await repository.page_of(session, params, user_id=principal.user_id)
    return await _cards(session, page)


async def add_own_card(
    session: AsyncSession, principal: Principal, *, token: str, label: str | None
) -> Card:
    """Register a card the driver holds (one session at a time, no expiry); 409 when the
    card is registered already, to anyone."""
    tag = IdTag(
        token=await _new_token(session, token),
        user_id=principal.user_id,
        kind="rfid",
        label=label,
        max_active_sessions=1,
    )
    session.add(tag)
    return await _card(session, tag)


async def _own(session: AsyncSession, principal: Principal, tag_id: int) -> IdTag:
    tag = await repository.by_id(session, tag_id, lock=True)
    if tag is None or tag.user_id != principal.user_id:
        raise NotFound(f"Card {tag_id} not found")
    return tag


async def block_own_card(session: AsyncSession, principal: Principal, tag_id: int) -> Card:
    """Block a card of the driver's (lost or stolen): chargers refuse it from now on. A
    driver cannot unblock a card; an admin can."""
    tag = await _own(session, principal, tag_id)
    if tag.status != IdTagStatus.BLOCKED:
        tag.status = IdTagStatus.BLOCKED
        tag.blocked_at = utcnow()
    return await _card(session, tag)


async def list_cards(
    session: AsyncSession,
    params: PageParams,
    *,
    status: str | None,
    user_id: int | None,
    search: str | None,
) -> Page[Card]:
    """Every card (admins), filtered by stored status, holder and token/label text."""
    page = await repository.page_of(session, params, status=status, user_id=user_id, search=search)
    return await _cards(session, page)


async def _parent_of(session: AsyncSession, token: str, *, child_id: int | None) -> int:
    """The key of the parent card ``token``; refused when missing or making a loop."""
    parent = await repository.by_token(session, token)
    if parent is None:
        message = f"no card {token}"
        raise ValidationFailed(message, fields=[FieldError("parentIdTag", message)])
    seen, depth = {parent.id}, 0
    current: IdTag | None = parent
    while current is not None:
        if current.id == child_id:
            message = "a card cannot be its own parent, directly or through others"
            raise ValidationFailed(message, fields=[FieldError("parentIdTag", message)])
        depth += 1
        if current.parent_id is None or current.parent_id in seen or depth > MAX_PARENT_DEPTH:
            break
        seen.add(current.parent_id)
        current = await repository.by_id(session, current.parent_id)
    return parent.id


async def issue_card(
    session: AsyncSession,
    *,
    user_id: int,
    token: str,
    label: str | None,
    expires_at: datetime | None,
    parent_id_tag: str | None,
    max_active_sessions: int | None,
) -> Card:
    """Issue a card to a user (admins)."""
    holder = await get_user(session, user_id)
    if holder is None or holder.deleted_at is not None:
        message = f"no user {user_id}"
        raise ValidationFailed(message, fields=[FieldError("userId", message)])
    tag = IdTag(
        token=await _new_token(session, token),
        user_id=holder.id,
        kind="rfid",
        label=label,
        expires_at=expires_at,
        max_active_sessions=max_active_sessions,
        parent_id=None
        if parent_id_tag is None
        else await _parent_of(session, parent_id_tag, child_id=None),
    )
    session.add(tag)
    return await _card(session, tag)


async def update_card(session: AsyncSession, tag_id: int, changes: dict[str, Any]) -> Card:
    """Change a card (admins): ``status`` (active/blocked), ``label``, ``expires_at``
    (a past time expires it now; None: never), ``parent_id_tag`` (None: no group),
    ``max_active_sessions`` (None: no limit). Keys absent are left alone."""
    tag = await repository.by_id(session, tag_id, lock=True)
    if tag is None:
        raise NotFound(f"Card {tag_id} not found")
    if "status" in changes and changes["status"] != tag.status:
        tag.status = changes["status"]
        tag.blocked_at = utcnow() if tag.status == IdTagStatus.BLOCKED else None
    if "label" in changes:
        tag.label = changes["label"]
    if "expires_at" in changes:
        tag.expires_at = changes["expires_at"]
    if "max_active_sessions" in changes:
        tag.max_active_sessions = changes["max_active_sessions"]
    if "parent_id_tag" in changes:
        parent = changes["parent_id_tag"]
        tag.parent_id = (
            None if parent is None else await _parent_of(session, parent, child_id=tag.id)
        )
    return await _card(session, tag)
