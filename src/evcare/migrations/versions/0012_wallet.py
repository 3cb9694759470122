"""Wallet ledger (wallet, wallet_entry), system settings with their audit, idempotency keys.

The wallet's balance has a CHECK (never below zero); entries carry ``balance_after``;
``wallet_entry.reference`` is unique so a reference is posted once.

Revision ID: 0012_wallet
Revises: 0011_sessions_reconcile
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evcare.core.db

revision: str = "0012_wallet"
down_revision: str | Sequence[str] | None = "0011_sessions_reconcile"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("claim_token", sa.Uuid(), nullable=False),
        sa.Column("locked_until", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_type", sa.String(length=100), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_idempotency_key_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_key")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_idempotency_key_user_id_key")),
    )
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_key_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "setting_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=False),
        sa.Column("new_value", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("changed_at", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by"],
            ["user_account.id"],
            name=op.f("fk_setting_change_changed_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setting_change")),
    )
    with op.batch_alter_table("setting_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_setting_change_key"), ["key"], unique=False)

    op.create_table(
        "system_setting",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["user_account.id"],
            name=op.f("fk_system_setting_updated_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_system_setting")),
    )
    op.create_table(
        "wallet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("balance_minor >= 0", name=op.f("ck_wallet_balance_not_negative")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_wallet_user_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet")),
        sa.UniqueConstraint("user_id", name=op.f("uq_wallet_user_id")),
    )
    op.create_table(
        "wallet_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wallet_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance_after_minor", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("created_at", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", evcare.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("type IN ('credit', 'debit')", name=op.f("ck_wallet_entry_type_known")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_wallet_entry_amount_positive")),
        sa.CheckConstraint(
            "balance_after_minor >= 0", name=op.f("ck_wallet_entry_balance_after_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["charging_session.id"],
            name=op.f("fk_wallet_entry_session_id_charging_session"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["wallet_id"],
            ["wallet.id"],
            name=op.f("fk_wallet_entry_wallet_id_wallet"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_entry")),
        sa.UniqueConstraint("reference", name=op.f("uq_wallet_entry_reference")),
    )
    with op.batch_alter_table("wallet_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wallet_entry_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index("ix_wallet_entry_wallet_id_id", ["wallet_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wallet_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_wallet_entry_wallet_id_id")
        batch_op.drop_index(batch_op.f("ix_wallet_entry_session_id"))

    op.drop_table("wallet_entry")
    op.drop_table("wallet")
    op.drop_table("system_setting")
    with op.batch_alter_table("setting_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_setting_change_key"))

    op.drop_table("setting_change")
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_key_expires_at"))

    op.drop_table("idempotency_key")
