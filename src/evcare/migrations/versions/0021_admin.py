"""admin and analytics: station reviews, connector status history, station verification

- ``station_review``: drivers' ratings of a station (from completed bookings), moderated
  by admins; only approved ones count in the station's rating. The ratings bookings
  already folded into station ratings become approved reviews, so no station's rating
  changes.
- ``connector_status_change``: every connector status a charger reports (the history
  utilization is measured from); each connector's current status is its first entry.
- ``station.is_verified``: drivers see verified stations only. Every station that
  exists now was listed to drivers, so each is marked verified (its ``verified_at`` the
  migration's time); new stations of brands wait for an admin.
- Indexes the analytics statements read (chosen from their plans, docs/benchmarks.md).

Revision ID: 0021_admin
Revises: 0020_support
Create Date: 2026-12-01 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evcare.core.db

revision: str = "0021_admin"
down_revision: str | Sequence[str] | None = "0020_support"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = evcare.core.db.UTCDateTime(timezone=True)
GEO_BEFORE = ["lat_band", "longitude", "latitude", "status", "deleted_at", "owner_id", "id"]
GEO_AFTER = [
    "lat_band",
    "longitude",
    "latitude",
    "status",
    "is_verified",
    "deleted_at",
    "owner_id",
    "id",
]


def upgrade() -> None:
    op.create_table(
        "station_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("review", sa.Text(), nullable=True),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("moderation_reason", sa.String(length=500), nullable=True),
        sa.Column("moderated_by", sa.Integer(), nullable=True),
        sa.Column("moderated_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_station_review_rating_range")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["connector_booking.id"],
            name=op.f("fk_station_review_booking_id_connector_booking"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["moderated_by"],
            ["user_account.id"],
            name=op.f("fk_station_review_moderated_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["station.id"],
            name=op.f("fk_station_review_station_id_station"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_station_review_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_review")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_station_review_booking_id")),
    )
    with op.batch_alter_table("station_review", schema=None) as batch_op:
        batch_op.create_index("ix_station_review_rating", ["rating", "id"], unique=False)
        batch_op.create_index(
            "ix_station_review_station_status", ["station_id", "status", "rating"], unique=False
        )
    op.execute(
        """
        INSERT INTO station_review (station_id, user_id, booking_id, rating, review, images,
                                    status, created_at, updated_at)
        SELECT station_id, user_id, id, rating_score, rating_review,
               COALESCE(rating_images, '[]'), 'approved',
               COALESCE(rated_at, updated_at), COALESCE(rated_at, updated_at)
        FROM connector_booking
        WHERE rating_score IS NOT NULL
        """
    )

    op.create_table(
        "connector_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("charger_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error_code", sa.String(length=50), nullable=True),
        sa.Column("at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["charger_id"],
            ["charger.id"],
            name=op.f("fk_connector_status_change_charger_id_charger"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["connector_id"],
            ["connector.id"],
            name=op.f("fk_connector_status_change_connector_id_connector"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connector_status_change")),
    )
    with op.batch_alter_table("connector_status_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_connector_status_change_charger_at", ["charger_id", "at"], unique=False
        )
        batch_op.create_index(
            "ix_connector_status_change_connector_at", ["connector_id", "at"], unique=False
        )
    op.execute(
        """
        INSERT INTO connector_status_change (connector_id, charger_id, status, error_code, at)
        SELECT id, charger_id, status, error_code, COALESCE(status_at, updated_at)
        FROM connector
        WHERE charger_id IS NOT NULL
        """
    )

    with op.batch_alter_table("station", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verified_at", UTC, nullable=True))
        batch_op.drop_index("ix_station_geo")
        batch_op.create_index("ix_station_geo", GEO_AFTER, unique=False)
    station = sa.table(
        "station", sa.column("is_verified", sa.Boolean()), sa.column("verified_at", UTC)
    )
    op.execute(
        station.update().values(
            is_verified=True,
            verified_at=sa.func.coalesce(station.c.verified_at, sa.func.current_timestamp()),
        )
    )

    with op.batch_alter_table("charging_session", schema=None) as batch_op:
        batch_op.create_index(
            "ix_charging_session_ended_at",
            ["ended_at", "status", "currency", "charger_id", "cost_minor", "energy_wh"],
            unique=False,
        )
        batch_op.create_index(
            "ix_charging_session_started_at",
            ["started_at", "status", "charger_id"],
            unique=False,
        )
    with op.batch_alter_table("connector_booking", schema=None) as batch_op:
        batch_op.create_index(
            "ix_connector_booking_created_at", ["created_at", "station_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("connector_booking", schema=None) as batch_op:
        batch_op.drop_index("ix_connector_booking_created_at")
    with op.batch_alter_table("charging_session", schema=None) as batch_op:
        batch_op.drop_index("ix_charging_session_started_at")
        batch_op.drop_index("ix_charging_session_ended_at")
    with op.batch_alter_table("station", schema=None) as batch_op:
        batch_op.drop_index("ix_station_geo")
        batch_op.create_index("ix_station_geo", GEO_BEFORE, unique=False)
        batch_op.drop_column("verified_at")
    with op.batch_alter_table("connector_status_change", schema=None) as batch_op:
        batch_op.drop_index("ix_connector_status_change_connector_at")
        batch_op.drop_index("ix_connector_status_change_charger_at")
    op.drop_table("connector_status_change")
    with op.batch_alter_table("station_review", schema=None) as batch_op:
        batch_op.drop_index("ix_station_review_station_status")
        batch_op.drop_index("ix_station_review_rating")
    op.drop_table("station_review")
