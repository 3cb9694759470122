"""fleet: fleet vehicles without a user owner, drivers, odometer, plans, maintenance due

Revision ID: 0028_fleet
Revises: 0027_money
Create Date: 2026-12-01 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from evcare.core.db import UTCDateTime

revision: str = "0028_fleet"
down_revision: str | Sequence[str] | None = "0027_money"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.alter_column("owner_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_vehicle_owner_or_organization"),
            "owner_id IS NOT NULL OR organization_id IS NOT NULL",
        )
    op.create_table(
        "vehicle_driver",
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_vehicle_driver_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicle.id"],
            name=op.f("fk_vehicle_driver_vehicle_id_vehicle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vehicle_id", "user_id", name=op.f("pk_vehicle_driver")),
    )
    op.create_index(op.f("ix_vehicle_driver_user_id"), "vehicle_driver", ["user_id"])
    op.create_table(
        "odometer_reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("km", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("km >= 0", name=op.f("ck_odometer_reading_km_not_negative")),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicle.id"],
            name=op.f("fk_odometer_reading_vehicle_id_vehicle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_odometer_reading")),
    )
    op.create_index(op.f("ix_odometer_reading_vehicle_id"), "odometer_reading", ["vehicle_id"])
    op.create_table(
        "fleet_settings",
        sa.Column("organization_id", sa.String(length=48), nullable=False),
        sa.Column("charging_paid_by", sa.String(length=20), nullable=False),
        sa.Column("payer_user_id", sa.Integer(), nullable=True),
        sa.Column("service_every_km", sa.Integer(), nullable=True),
        sa.Column("service_every_months", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "charging_paid_by IN ('driver', 'organization')",
            name=op.f("ck_fleet_settings_paid_by_known"),
        ),
        sa.CheckConstraint(
            "charging_paid_by = 'driver' OR payer_user_id IS NOT NULL",
            name=op.f("ck_fleet_settings_payer_when_paying"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_fleet_settings_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payer_user_id"],
            ["user_account.id"],
            name=op.f("fk_fleet_settings_payer_user_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_fleet_settings")),
    )
    op.create_index(op.f("ix_fleet_settings_payer_user_id"), "fleet_settings", ["payer_user_id"])
    op.create_table(
        "vehicle_service_plan",
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("every_km", sa.Integer(), nullable=True),
        sa.Column("every_months", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicle.id"],
            name=op.f("fk_vehicle_service_plan_vehicle_id_vehicle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vehicle_id", name=op.f("pk_vehicle_service_plan")),
    )
    op.create_table(
        "maintenance_due",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("due_point", sa.String(length=40), nullable=False),
        sa.Column("estimated_km", sa.Integer(), nullable=False),
        sa.Column("raised_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicle.id"],
            name=op.f("fk_maintenance_due_vehicle_id_vehicle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_due")),
        sa.UniqueConstraint(
            "vehicle_id", "due_point", name=op.f("uq_maintenance_due_vehicle_id_due_point")
        ),
    )


def downgrade() -> None:
    op.drop_table("maintenance_due")
    op.drop_table("vehicle_service_plan")
    op.drop_index(op.f("ix_fleet_settings_payer_user_id"), table_name="fleet_settings")
    op.drop_table("fleet_settings")
    op.drop_index(op.f("ix_odometer_reading_vehicle_id"), table_name="odometer_reading")
    op.drop_table("odometer_reading")
    op.drop_index(op.f("ix_vehicle_driver_user_id"), table_name="vehicle_driver")
    op.drop_table("vehicle_driver")
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_vehicle_owner_or_organization"), type_="check")
        batch_op.alter_column("owner_id", existing_type=sa.Integer(), nullable=False)
