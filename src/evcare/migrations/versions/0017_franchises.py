"""franchises (EV-CMS sections 14 and 18): franchises, their staff and stations; partners

A franchise belongs to a brand; a station the brand hands to it gets a franchise_station
row (tables only: a new foreign key on station would rebuild it on SQLite, and dropping
the old table with foreign keys on cascades into connectors and bookings). EV-CMS
partners are the hub's organizations, which gain a status and contact columns (added in
place, no rebuild either). The lead re-chains this after 0015.

Revision ID: 0017_franchises
Revises: 0016_chargeauth
Create Date: 2026-12-01 12:20:05.315754
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evcare.core.db

revision: str = "0017_franchises"
down_revision: str | Sequence[str] | None = "0016_chargeauth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "franchise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=False),
        sa.Column("contact_person", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("revenue_share_bp", sa.Integer(), nullable=False),
        sa.Column("agreement_start_date", sa.Date(), nullable=True),
        sa.Column("agreement_end_date", sa.Date(), nullable=True),
        sa.Column("created_at", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["user_account.id"],
            name=op.f("fk_franchise_brand_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_franchise")),
    )
    with op.batch_alter_table("franchise", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_franchise_brand_id"), ["brand_id"], unique=False)

    op.create_table(
        "franchise_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("franchise_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["franchise_id"],
            ["franchise.id"],
            name=op.f("fk_franchise_staff_franchise_id_franchise"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_franchise_staff_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_franchise_staff")),
        sa.UniqueConstraint("user_id", name=op.f("uq_franchise_staff_user_id")),
    )
    with op.batch_alter_table("franchise_staff", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_franchise_staff_franchise_id"), ["franchise_id"], unique=False
        )

    op.create_table(
        "franchise_station",
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("franchise_id", sa.Integer(), nullable=False),
        sa.Column("created_at", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["franchise_id"],
            ["franchise.id"],
            name=op.f("fk_franchise_station_franchise_id_franchise"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["station.id"],
            name=op.f("fk_franchise_station_station_id_station"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_franchise_station")),
    )
    with op.batch_alter_table("franchise_station", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_franchise_station_franchise_id"), ["franchise_id"], unique=False
        )

    op.add_column(
        "organization",
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
    )
    op.add_column("organization", sa.Column("email", sa.String(length=254), nullable=True))
    op.add_column("organization", sa.Column("phone", sa.String(length=20), nullable=True))
    op.add_column("organization", sa.Column("address", sa.String(length=500), nullable=True))


def downgrade() -> None:
    for column in ("address", "phone", "email", "status"):
        op.drop_column("organization", column)

    with op.batch_alter_table("franchise_station", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_franchise_station_franchise_id"))

    op.drop_table("franchise_station")
    with op.batch_alter_table("franchise_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_franchise_staff_franchise_id"))

    op.drop_table("franchise_staff")
    with op.batch_alter_table("franchise", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_franchise_brand_id"))

    op.drop_table("franchise")
