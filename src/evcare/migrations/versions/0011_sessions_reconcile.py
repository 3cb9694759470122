"""Sessions of vanished chargers: interrupted mark, estimated stops, one active per connector;
outbox events keyed by the resource they are about (per-resource order).

Before the unique index is built, a connector's older duplicate active sessions (ghosts
of chargers that vanished) are closed the way EVCare now closes them: billed on their
last meter reading, stop reason ``Other``, marked as estimated.

Revision ID: 0011_sessions_reconcile
Revises: 0009_name_keys
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import evcare.core.db

revision: str = "0011_sessions_reconcile"
down_revision: str | Sequence[str] | None = "0009_name_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    with op.batch_alter_table("outbox_event") as batch:
        batch.add_column(sa.Column("resource_key", sa.String(length=80), nullable=True))
        batch.create_index("ix_outbox_event_resource", ["resource_key", "dispatched_at"])
    with op.batch_alter_table("charging_session") as batch:
        batch.add_column(
            sa.Column("interrupted_at", evcare.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("stop_estimated", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Ghosts: every active session but the newest of its connector.
    op.execute(
        """
        UPDATE charging_session SET
            status = 'completed',
            stop_estimated = true,
            stop_reason = 'Other',
            ended_at = started_at,
            meter_stop_wh = COALESCE(last_meter_wh, meter_start_wh),
            energy_wh = COALESCE(last_meter_wh, meter_start_wh) - meter_start_wh,
            energy_cost_minor = ((COALESCE(last_meter_wh, meter_start_wh) - meter_start_wh)
                                 * energy_rate_minor + 500) / 1000,
            gst_minor = 0,
            cost_minor = ((COALESCE(last_meter_wh, meter_start_wh) - meter_start_wh)
                          * energy_rate_minor + 500) / 1000 + parking_fee_minor
        WHERE status = 'active' AND EXISTS (
            SELECT 1 FROM charging_session AS newer
            WHERE newer.charger_id = charging_session.charger_id
              AND newer.connector_id = charging_session.connector_id
              AND newer.status = 'active'
              AND (newer.started_at > charging_session.started_at
                   OR (newer.started_at = charging_session.started_at
                       AND newer.id > charging_session.id))
        )
        """
    )
    op.create_index(
        "uq_charging_session_active_connector",
        "charging_session",
        ["charger_id", "connector_id"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox_event") as batch:
        batch.drop_index("ix_outbox_event_resource")
        batch.drop_column("resource_key")
    op.drop_index("uq_charging_session_active_connector", table_name="charging_session")
    with op.batch_alter_table("charging_session") as batch:
        batch.drop_column("stop_estimated")
        batch.drop_column("interrupted_at")
