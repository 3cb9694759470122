"""0026 moves every existing service, mechanic profile and service booking to the default
workshop, and the column is NOT NULL afterwards (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from evcare.core.db import create_engine
from evcare.core.migrate import upgrade
from evcare.service.workshops import DEFAULT_WORKSHOP_ID
from tests.migrations.test_0009_name_keys import fresh_url

__all__ = ["fresh_url"]

ROWS = [
    "INSERT INTO user_account (email, first_name, last_name, role, status, is_email_verified,"
    " preferences, created_at, updated_at) VALUES ('c@example.com', 'C', 'U', 'user',"
    " 'active', false, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO user_account (email, first_name, last_name, role, status, is_email_verified,"
    " preferences, created_at, updated_at) VALUES ('m@example.com', 'M', 'E', 'mechanic',"
    " 'active', false, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO service_category (name, name_key, description, is_active, created_at,"
    " updated_at) VALUES ('Brakes', 'brakes', '', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO service (category_id, name, description, price_minor, currency,"
    " duration_minutes, is_active, search_key, created_at, updated_at)"
    " SELECT id, 'Pads', '', 100, 'INR', 30, true, 'pads', CURRENT_TIMESTAMP,"
    " CURRENT_TIMESTAMP FROM service_category",
    "INSERT INTO mechanic_profile (user_id, skills, experience_years, is_available,"
    " created_at, updated_at) SELECT id, '[]', 3, true, CURRENT_TIMESTAMP,"
    " CURRENT_TIMESTAMP FROM user_account"
    " WHERE role = 'mechanic'",
    "INSERT INTO timeslot (start_time, end_time, capacity, is_active, created_at, updated_at)"
    " VALUES ('09:00:00', '11:00:00', 3, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO service_booking (customer_id, timeslot_id, service_date, pickup_type, notes,"
    " status, currency, cancellation_fee_minor, cancellation_fee_gst_minor, created_at,"
    " updated_at) SELECT u.id, t.id, '2026-12-01', 'drop_off', '', 'created', 'INR', 0, 0,"
    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM user_account u, timeslot t WHERE u.role = 'user'",
]


async def test_existing_rows_move_to_the_default_workshop_and_the_column_is_required(
    fresh_url: str,
) -> None:
    await upgrade(fresh_url, "0025_fleetbase")
    engine = create_engine(fresh_url)
    try:
        async with engine.begin() as connection:
            for statement in ROWS:
                await connection.execute(text(statement))
        await upgrade(fresh_url)
        async with engine.connect() as connection:
            workshop = (
                await connection.execute(
                    text("SELECT kind, status FROM organization WHERE id = :id"),
                    {"id": DEFAULT_WORKSHOP_ID},
                )
            ).one()
            owners = {
                table: (
                    await connection.scalars(text(f"SELECT workshop_id FROM {table}"))  # noqa: S608
                ).all()
                for table in ("service", "mechanic_profile", "service_booking")
            }
        assert tuple(workshop) == ("workshop", "active")
        assert owners == {
            "service": [DEFAULT_WORKSHOP_ID],
            "mechanic_profile": [DEFAULT_WORKSHOP_ID],
            "service_booking": [DEFAULT_WORKSHOP_ID],
        }
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(text("UPDATE service SET workshop_id = NULL"))
    finally:
        await engine.dispose()
