"""Users, their sign-in sessions (refresh-token families) and refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.db import Base, Timestamped


class Role(StrEnum):
    ADMIN = "admin"
    BRAND = "brand"
    FRANCHISE = "franchise"
    MECHANIC = "mechanic"
    FLEET_MANAGER = "fleet_manager"
    USER = "user"
    # The service account behind a partner integration's client-credentials tokens.
    INTEGRATION = "integration"


class UserStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"
    SUSPENDED = "suspended"


DEFAULT_PREFERENCES: dict[str, Any] = {
    "notifications": True,
    "language": "en",
    "theme": "light",
}


class User(Timestamped, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True, default=None)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    role: Mapped[str] = mapped_column(String(20), index=True, default=Role.USER)
    status: Mapped[str] = mapped_column(String(20), default=UserStatus.ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    is_email_verified: Mapped[bool] = mapped_column(default=False)
    profile_picture: Mapped[str | None] = mapped_column(String(500), default=None)
    preferences: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=lambda: dict(DEFAULT_PREFERENCES)
    )
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None, index=True)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class AuthSession(Base):
    """One sign-in: the family that all rotated refresh tokens of that sign-in belong to."""

    __tablename__ = "auth_session"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(50), default=None)
    # The partner integration (``int_...``) this sign-in was made through, if any: its
    # bundles and allowlist bound every request made with the sign-in's tokens.
    integration_id: Mapped[str | None] = mapped_column(String(48), default=None, index=True)


class RefreshToken(Base):
    __tablename__ = "refresh_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_session.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class OrganizationKind(StrEnum):
    PARTNER = "partner"
    FLEET = "fleet"
    WORKSHOP = "workshop"


class AccountRole(StrEnum):
    """A person's role inside an organization, and the EVCare role it signs in with."""

    ORGANIZATION_ADMIN = "ORGANIZATION_ADMIN"
    FLEET_MANAGER = "FLEET_MANAGER"
    DRIVER = "DRIVER"
    CLIENT = "CLIENT"

    @property
    def user_role(self) -> Role:
        if self in (AccountRole.ORGANIZATION_ADMIN, AccountRole.FLEET_MANAGER):
            return Role.FLEET_MANAGER
        return Role.USER


class OrganizationStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    SUSPENDED = "suspended"


class Organization(Timestamped, Base):
    """A partner platform, a fleet or a workshop business (``org_...``): also what EV-CMS
    lists as a partner (its ``type`` is the kind)."""

    __tablename__ = "organization"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # NFKC + casefold of the name: "ÉLAN" and "élan" are one organization.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default=OrganizationKind.PARTNER)
    status: Mapped[str] = mapped_column(
        String(20), default=OrganizationStatus.ACTIVE, server_default=OrganizationStatus.ACTIVE
    )
    # Contact details (EV-CMS partners); hub organizations may leave them empty.
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    address: Mapped[str | None] = mapped_column(String(500), default=None)


class OrganizationMember(Base):
    """A subordinate account (``acc_...``): one user, one organization, one role in it."""

    __tablename__ = "organization_member"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    role: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime]
