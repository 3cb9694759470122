"""Join the contexts' migration branches into one head.

Charging sessions, the billing ledger and the workshop bookings were written side by
side on branches from 0002_vehicles; from here on there is one line again.

Revision ID: 0008_merge
Revises: 0004_sessions, 0006_billing, 0007_bookings
"""

from collections.abc import Sequence

revision: str = "0008_merge"
down_revision: str | Sequence[str] | None = ("0004_sessions", "0006_billing", "0007_bookings")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
