"""organizations, partner integrations, their secrets, external identities, session codes

Sign-ins remember the integration they were made through (auth_session.integration_id),
so its bundles and allowlist bound every token of them.

Revision ID: 0013_integrations
Revises: 0012_wallet
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evcare.core.db

revision: str = "0013_integrations"
down_revision: str | Sequence[str] | None = "0012_wallet"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, evcare.core.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "organization",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization")),
        sa.UniqueConstraint("name_key", name=op.f("uq_organization_name_key")),
    )
    op.create_table(
        "organization_member",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("organization_id", sa.String(length=48), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_organization_member_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_organization_member_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization_member")),
        sa.UniqueConstraint("user_id", name=op.f("uq_organization_member_user_id")),
    )
    with op.batch_alter_table("organization_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organization_member_organization_id"), ["organization_id"]
        )
    op.create_table(
        "integration",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("organization_id", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("bundles", sa.JSON(), nullable=False),
        sa.Column("allowed_endpoints", sa.JSON(), nullable=False),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("client_id", sa.String(length=48), nullable=False),
        sa.Column("service_user_id", sa.Integer(), nullable=False),
        _when("secret_rotated_at"),
        _when("credentials_revoked_at", nullable=True),
        _when("created_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_integration_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_user_id"],
            ["user_account.id"],
            name=op.f("fk_integration_service_user_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration")),
        sa.UniqueConstraint("client_id", name=op.f("uq_integration_client_id")),
        sa.UniqueConstraint("service_user_id", name=op.f("uq_integration_service_user_id")),
    )
    with op.batch_alter_table("integration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_integration_organization_id"), ["organization_id"])
    op.create_table(
        "integration_secret",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.String(length=48), nullable=False),
        sa.Column("secret_hash", sa.String(length=80), nullable=False),
        _when("created_at"),
        _when("expires_at", nullable=True),
        _when("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integration.id"],
            name=op.f("fk_integration_secret_integration_id_integration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_secret")),
    )
    with op.batch_alter_table("integration_secret", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_secret_integration_id"), ["integration_id"]
        )
    op.create_table(
        "external_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.String(length=48), nullable=False),
        sa.Column("external_subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integration.id"],
            name=op.f("fk_external_identity_integration_id_integration"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_external_identity_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_identity")),
        sa.UniqueConstraint(
            "integration_id",
            "external_subject",
            name=op.f("uq_external_identity_integration_id_external_subject"),
        ),
    )
    with op.batch_alter_table("external_identity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_external_identity_user_id"), ["user_id"])
    op.create_table(
        "integration_session_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("integration_id", sa.String(length=48), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _when("created_at"),
        _when("expires_at"),
        _when("used_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integration.id"],
            name=op.f("fk_integration_session_code_integration_id_integration"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_integration_session_code_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_session_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_integration_session_code_code_hash")),
    )
    with op.batch_alter_table("integration_session_code", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_session_code_integration_id"), ["integration_id"]
        )
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("integration_id", sa.String(length=48), nullable=True))
        batch_op.create_index(batch_op.f("ix_auth_session_integration_id"), ["integration_id"])


def downgrade() -> None:
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_session_integration_id"))
        batch_op.drop_column("integration_id")
    op.drop_table("integration_session_code")
    op.drop_table("external_identity")
    op.drop_table("integration_secret")
    op.drop_table("integration")
    op.drop_table("organization_member")
    op.drop_table("organization")
