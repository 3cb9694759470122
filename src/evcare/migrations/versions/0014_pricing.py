"""pricing rules, and the tariff each charging session was started with

Revision ID: 0014_pricing
Revises: 0013_integrations
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evcare.core.db

revision: str = "0014_pricing"
down_revision: str | Sequence[str] | None = "0013_integrations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, evcare.core.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "pricing_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("connector_type", sa.String(length=20), nullable=True),
        sa.Column("elements", sa.JSON(), nullable=False),
        sa.Column("peaks", sa.JSON(), nullable=False),
        sa.Column("discount_bp", sa.Integer(), nullable=False),
        sa.Column("prices_include_gst", sa.Boolean(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        _when("valid_from", nullable=True),
        _when("valid_to", nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _when("created_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["station.id"],
            name=op.f("fk_pricing_rule_station_id_station"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_pricing_rule_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_rule")),
    )
    op.create_index(
        "ix_pricing_rule_scope", "pricing_rule", ["station_id", "connector_type"], unique=False
    )
    with op.batch_alter_table("charging_session") as batch:
        batch.add_column(sa.Column("tariff", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("charging_session") as batch:
        batch.drop_column("tariff")
    op.drop_index("ix_pricing_rule_scope", table_name="pricing_rule")
    op.drop_table("pricing_rule")
