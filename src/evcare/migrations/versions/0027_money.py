"""money: credit notes (their own gap-free series), reservation-fee invoices

A credit note is an invoice row of a ``cn_*`` kind numbered from credit_note_counter;
credit_note ties it to the invoice it reverses (and, for a late-Stop correction, the
invoice issued in its place); booking_invoice ties a reservation fee's invoice to its
booking. Only tables are added: the invoice table is not rebuilt.

Revision ID: 0027_money
Revises: 0026_workshops
Create Date: 2026-12-01 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evcare.core.db

revision: str = "0027_money"
down_revision: str | Sequence[str] | None = "0026_workshops"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_note_counter",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_credit_note_counter")),
    )
    op.create_table(
        "credit_note",
        sa.Column("invoice_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("credited_invoice_id", sa.Integer(), nullable=False),
        sa.Column("replacement_invoice_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_credit_note_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["credited_invoice_id"],
            ["invoice.id"],
            name=op.f("fk_credit_note_credited_invoice_id_invoice"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
            name=op.f("fk_credit_note_invoice_id_invoice"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["replacement_invoice_id"],
            ["invoice.id"],
            name=op.f("fk_credit_note_replacement_invoice_id_invoice"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["charging_session.id"],
            name=op.f("fk_credit_note_session_id_charging_session"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_credit_note")),
        sa.UniqueConstraint("credited_invoice_id", name=op.f("uq_credit_note_credited_invoice_id")),
        sa.UniqueConstraint(
            "replacement_invoice_id", name=op.f("uq_credit_note_replacement_invoice_id")
        ),
    )
    with op.batch_alter_table("credit_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_note_session_id"), ["session_id"], unique=False)
    op.create_table(
        "booking_invoice",
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["connector_booking.id"],
            name=op.f("fk_booking_invoice_booking_id_connector_booking"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
            name=op.f("fk_booking_invoice_invoice_id_invoice"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_booking_invoice")),
        sa.UniqueConstraint("invoice_id", name=op.f("uq_booking_invoice_invoice_id")),
    )


def downgrade() -> None:
    op.drop_table("booking_invoice")
    with op.batch_alter_table("credit_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_note_session_id"))
    op.drop_table("credit_note")
    op.drop_table("credit_note_counter")
