"""charging cards: expiry, parent group, concurrent-session limit (docs/ocpp.md)

Revision ID: 0016_chargeauth
Revises: 0015_connector_bookings
Create Date: 2026-12-01 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evcare.core.db

revision: str = "0016_chargeauth"
down_revision: str | Sequence[str] | None = "0015_connector_bookings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("id_tag", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("expires_at", evcare.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("max_active_sessions", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("blocked_at", evcare.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_id_tag_parent_id"), ["parent_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_id_tag_parent_id_id_tag"),
            "id_tag",
            ["parent_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_id_tag_max_active_sessions_positive"),
            "max_active_sessions IS NULL OR max_active_sessions > 0",
        )
    with op.batch_alter_table("charging_session", schema=None) as batch_op:
        batch_op.create_index(
            "ix_charging_session_id_tag_status", ["id_tag", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("charging_session", schema=None) as batch_op:
        batch_op.drop_index("ix_charging_session_id_tag_status")
    with op.batch_alter_table("id_tag", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_id_tag_max_active_sessions_positive"), type_="check"
        )
        batch_op.drop_constraint(batch_op.f("fk_id_tag_parent_id_id_tag"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_id_tag_parent_id"))
        batch_op.drop_column("blocked_at")
        batch_op.drop_column("max_active_sessions")
        batch_op.drop_column("parent_id")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("label")
