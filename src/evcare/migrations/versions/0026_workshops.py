"""workshops: services, mechanics and bookings belong to a workshop; a fleet's
maintenance selection and requests (issue 15)

A default workshop organization is created and every existing service, mechanic profile
and service booking moves to it, so RevCare keeps working unchanged on it.

Revision ID: 0026_workshops
Revises: 0025_fleetbase
Create Date: 2026-12-01 15:40:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import evcare.core.db

revision: str = "0026_workshops"
down_revision: str | Sequence[str] | None = "0025_fleetbase"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As evcare.service.workshops names it (copied: a migration never imports the app).
DEFAULT_WORKSHOP_ID = "org_defaultworkshop"
DEFAULT_WORKSHOP_NAME = "EVCare Workshop"
DEFAULT_WORKSHOP_KEY = "evcare workshop"

OWNED = ("service", "mechanic_profile", "service_booking")


def upgrade() -> None:
    connection = op.get_bind()
    organization = sa.table("organization", sa.column("id", sa.String))
    present = connection.execute(
        sa.select(organization.c.id).where(organization.c.id == DEFAULT_WORKSHOP_ID)
    ).first()
    if present is None:
        now = datetime.now(UTC)
        op.bulk_insert(
            sa.table(
                "organization",
                sa.column("id", sa.String),
                sa.column("name", sa.String),
                sa.column("name_key", sa.String),
                sa.column("kind", sa.String),
                sa.column("status", sa.String),
                sa.column("created_at", evcare.core.db.UTCDateTime(timezone=True)),
                sa.column("updated_at", evcare.core.db.UTCDateTime(timezone=True)),
            ),
            [
                {
                    "id": DEFAULT_WORKSHOP_ID,
                    "name": DEFAULT_WORKSHOP_NAME,
                    "name_key": DEFAULT_WORKSHOP_KEY,
                    "kind": "workshop",
                    "status": "active",
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )

    for table in OWNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("workshop_id", sa.String(length=48), nullable=True))
        owned = sa.table(table, sa.column("workshop_id", sa.String))
        connection.execute(sa.update(owned).values(workshop_id=DEFAULT_WORKSHOP_ID))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("workshop_id", existing_type=sa.String(length=48), nullable=False)
            batch_op.create_index(
                batch_op.f(f"ix_{table}_workshop_id"), ["workshop_id"], unique=False
            )
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_workshop_id_organization"),
                "organization",
                ["workshop_id"],
                ["id"],
                ondelete="RESTRICT",
            )

    op.create_table(
        "fleet_maintenance_settings",
        sa.Column("organization_id", sa.String(length=48), nullable=False),
        sa.Column("selection_mode", sa.String(length=20), nullable=False),
        sa.Column("updated_at", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_fleet_maintenance_settings_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_fleet_maintenance_settings")),
    )
    op.create_table(
        "fleet_allowed_workshop",
        sa.Column("organization_id", sa.String(length=48), nullable=False),
        sa.Column("workshop_id", sa.String(length=48), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_fleet_allowed_workshop_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["organization.id"],
            name=op.f("fk_fleet_allowed_workshop_workshop_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "workshop_id", name=op.f("pk_fleet_allowed_workshop")
        ),
    )
    with op.batch_alter_table("fleet_allowed_workshop", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fleet_allowed_workshop_workshop_id"), ["workshop_id"], unique=False
        )
    op.create_table(
        "fleet_maintenance",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("organization_id", sa.String(length=48), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.String(length=48), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("notes", sa.String(length=1000), nullable=False),
        sa.Column("created_at", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", evcare.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["service_booking.id"],
            name=op.f("fk_fleet_maintenance_booking_id_service_booking"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_fleet_maintenance_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["user_account.id"],
            name=op.f("fk_fleet_maintenance_requested_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["organization.id"],
            name=op.f("fk_fleet_maintenance_workshop_id_organization"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_maintenance")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_fleet_maintenance_booking_id")),
    )
    with op.batch_alter_table("fleet_maintenance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fleet_maintenance_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fleet_maintenance_workshop_id"), ["workshop_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("fleet_maintenance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_maintenance_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_fleet_maintenance_organization_id"))
    op.drop_table("fleet_maintenance")
    with op.batch_alter_table("fleet_allowed_workshop", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_allowed_workshop_workshop_id"))
    op.drop_table("fleet_allowed_workshop")
    op.drop_table("fleet_maintenance_settings")
    for table in reversed(OWNED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_workshop_id_organization"), type_="foreignkey"
            )
            batch_op.drop_index(batch_op.f(f"ix_{table}_workshop_id"))
            batch_op.drop_column("workshop_id")
    # The default workshop organization stays: other rows may name it by now.
