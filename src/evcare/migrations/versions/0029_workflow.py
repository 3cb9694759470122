"""workflow: workshops as they really run (issue 16): found work and its parts, a
mechanic's jobs per slot, cancellation/reschedule fees and their collection, public status
links, and a booking's receipt in the invoice ledger

Revision ID: 0029_workflow
Revises: 0028_fleet
Create Date: 2026-12-01 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029_workflow"
down_revision: str | Sequence[str] | None = "0028_fleet"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("service_booking_item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("found", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("mechanic_profile", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("jobs_per_slot", sa.Integer(), server_default="1", nullable=False)
        )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_booking_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_invoice_service_booking_id"), ["service_booking_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_invoice_service_booking_id_service_booking"),
            "service_booking",
            ["service_booking_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "service_booking_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "unit_price_minor >= 0", name=op.f("ck_service_booking_part_price_not_negative")
        ),
        sa.CheckConstraint(
            "quantity BETWEEN 1 AND 100", name=op.f("ck_service_booking_part_quantity_range")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["service_booking_item.id"],
            name=op.f("fk_service_booking_part_item_id_service_booking_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_booking_part")),
    )
    op.create_index(
        op.f("ix_service_booking_part_item_id"), "service_booking_part", ["item_id"], unique=False
    )
    op.create_table(
        "service_booking_fee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("gst_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("carried_to_booking_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_service_booking_fee_amount_positive")),
        sa.CheckConstraint("gst_minor >= 0", name=op.f("ck_service_booking_fee_gst_not_negative")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["service_booking.id"],
            name=op.f("fk_service_booking_fee_booking_id_service_booking"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["carried_to_booking_id"],
            ["service_booking.id"],
            name=op.f("fk_service_booking_fee_carried_to_booking_id_service_booking"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["user_account.id"],
            name=op.f("fk_service_booking_fee_customer_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_booking_fee")),
    )
    op.create_index(
        op.f("ix_service_booking_fee_booking_id"), "service_booking_fee", ["booking_id"]
    )
    op.create_index(
        op.f("ix_service_booking_fee_carried_to_booking_id"),
        "service_booking_fee",
        ["carried_to_booking_id"],
    )
    op.create_index(
        "ix_service_booking_fee_customer_status", "service_booking_fee", ["customer_id", "status"]
    )
    op.create_table(
        "service_booking_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["service_booking.id"],
            name=op.f("fk_service_booking_link_booking_id_service_booking"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_service_booking_link_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_booking_link")),
    )
    op.create_index(
        op.f("ix_service_booking_link_booking_id"), "service_booking_link", ["booking_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_service_booking_link_booking_id"), table_name="service_booking_link")
    op.drop_table("service_booking_link")
    op.drop_index("ix_service_booking_fee_customer_status", table_name="service_booking_fee")
    op.drop_index(
        op.f("ix_service_booking_fee_carried_to_booking_id"), table_name="service_booking_fee"
    )
    op.drop_index(op.f("ix_service_booking_fee_booking_id"), table_name="service_booking_fee")
    op.drop_table("service_booking_fee")
    op.drop_index(op.f("ix_service_booking_part_item_id"), table_name="service_booking_part")
    op.drop_table("service_booking_part")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_invoice_service_booking_id_service_booking"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_invoice_service_booking_id"), type_="unique")
        batch_op.drop_column("service_booking_id")
    with op.batch_alter_table("mechanic_profile", schema=None) as batch_op:
        batch_op.drop_column("jobs_per_slot")
    with op.batch_alter_table("service_booking_item", schema=None) as batch_op:
        batch_op.drop_column("decided_at")
        batch_op.drop_column("found")
