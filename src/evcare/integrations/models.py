"""Integrations, their client secrets, the external users they sign in, and session codes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.db import Base, Timestamped


class IntegrationStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Integration(Timestamped, Base):
    """A partner platform's client (``int_...``) inside one organization."""

    __tablename__ = "integration"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), default=IntegrationStatus.ACTIVE)
    bundles: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "METHOD /path/template" entries; empty means everything the bundles allow.
    allowed_endpoints: Mapped[list[str]] = mapped_column(JSON, default=list)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    client_id: Mapped[str] = mapped_column(String(48), unique=True)
    # The service account its client-credentials tokens act as (role "integration").
    service_user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), unique=True
    )
    secret_rotated_at: Mapped[datetime]
    credentials_revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class IntegrationSecret(Base):
    """One client secret, stored as SHA-256 only. After a rotation the previous one
    keeps working until ``expires_at``."""

    __tablename__ = "integration_secret"

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integration.id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class ExternalIdentity(Base):
    """A partner's user (``externalSubject``) and the one EVCare user it maps to."""

    __tablename__ = "external_identity"
    __table_args__ = (UniqueConstraint("integration_id", "external_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[str] = mapped_column(ForeignKey("integration.id", ondelete="CASCADE"))
    external_subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]


class SessionCode(Base):
    """A single-use, short-lived code a browser redeems for a user's tokens (hashed)."""

    __tablename__ = "integration_session_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integration.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
