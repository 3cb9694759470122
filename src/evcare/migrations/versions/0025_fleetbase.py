"""fleetbase: a vehicle may belong to an organization (a fleet's vehicle, issue 15)

Revision ID: 0025_fleetbase
Revises: 0024_paystack
Create Date: 2026-12-01 15:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_fleetbase"
down_revision: str | Sequence[str] | None = "0024_paystack"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organization_id", sa.String(length=48), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_vehicle_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_vehicle_organization_id_organization"),
            "organization",
            ["organization_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_vehicle_organization_id_organization"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_vehicle_organization_id"))
        batch_op.drop_column("organization_id")
