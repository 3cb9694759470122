"""name keys: unique names compared by NFKC + casefold, and the services' search key

Every table whose name is unique gets ``name_key`` (see ``evcare.core.names``) with the
unique index; ``service`` gets ``search_key`` (name and description keys) for
``GET /services/?search=``. Existing rows are keyed here. Rows that were distinct
before but share a key now (``ÉLAN`` and ``élan``, which SQLite's ASCII ``lower()`` kept
apart) keep their names: the older row gets the key, each later one the key plus a
newline and its id (a newline never occurs in a key), so the upgrade never fails and no
future name can collide with them. Rename or merge such rows when convenient.

The columns are added NOT NULL with a ``''`` server default (SQLite cannot add a NOT NULL
column without one, nor drop it without rebuilding tables that others refer to); on
PostgreSQL the default is dropped again. The application always writes the key.

Revision ID: 0009_name_keys
Revises: 0008_merge
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from evcare.core.names import KEY_LENGTH, name_key

revision: str = "0009_name_keys"
down_revision: str | Sequence[str] | None = "0008_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the columns that scope its uniqueness besides the key
KEYED: dict[str, tuple[str, ...]] = {
    "service_category": (),
    "mechanic_assignment_type": (),
    "fuel_type": (),
    "vehicle_class": (),
    "vehicle_manufacturer": (),
    "vehicle_model": ("manufacturer_id",),
}


def _add_text_column(table: str, column: str, type_: sa.types.TypeEngine[str]) -> None:
    op.add_column(table, sa.Column(column, type_, nullable=False, server_default=""))
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(table, column, server_default=None)


def _fill_name_keys(table: str, scope: tuple[str, ...]) -> None:
    bind = op.get_bind()
    columns = ("id", "name", "name_key", *scope)
    rows = sa.table(table, *(sa.column(name) for name in columns))
    query = sa.select(rows.c.id, rows.c.name, *(rows.c[name] for name in scope))
    taken: set[tuple[object, ...]] = set()
    for row in bind.execute(query.order_by(rows.c.id)).all():
        key = name_key(row.name)[:KEY_LENGTH]
        scoped = (*row[2:], key)
        if scoped in taken:
            key = f"{key[: KEY_LENGTH - 21]}\n{row.id}"
        taken.add(scoped)
        bind.execute(rows.update().where(rows.c.id == row.id).values(name_key=key))


def _fill_search_keys() -> None:
    bind = op.get_bind()
    services = sa.table(
        "service",
        sa.column("id"),
        sa.column("name"),
        sa.column("description"),
        sa.column("search_key"),
    )
    for row in bind.execute(sa.select(services.c.id, services.c.name, services.c.description)):
        key = f"{name_key(row.name)}\n{name_key(row.description or '')}"
        bind.execute(services.update().where(services.c.id == row.id).values(search_key=key))


def upgrade() -> None:
    for table, scope in KEYED.items():
        _add_text_column(table, "name_key", sa.String(length=KEY_LENGTH))
        _fill_name_keys(table, scope)
        index = f"uq_{table}_{'_'.join(scope) + '_' if scope else ''}name_key"
        op.create_index(index, table, [*scope, "name_key"], unique=True)
    _add_text_column("service", "search_key", sa.Text())
    _fill_search_keys()


def downgrade() -> None:
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_column("search_key")
    for table, scope in KEYED.items():
        index = f"uq_{table}_{'_'.join(scope) + '_' if scope else ''}name_key"
        op.drop_index(index, table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("name_key")
